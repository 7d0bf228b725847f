// SCIM protocol errors (RFC 7644 §3.12): a typed value carrying the wire status and scimType.
// Tests assert `status` and `scimType`; `detail` names the field and the rule, never echoes a secret.

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly detail: string;
  constructor(status: number, scimType: ScimType | undefined, detail: string) {
    super(detail);
    this.name = "ScimError";
    this.status = status;
    this.scimType = scimType;
    this.detail = detail;
  }
}

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** RFC 7644 §3.12: status is a string; scimType only for 400/409/412-style typed errors. */
export function renderError(e: ScimError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(e.status), detail: e.detail };
  if (e.scimType !== undefined) body.scimType = e.scimType;
  return body;
}

export const notFound = (what: string) => new ScimError(404, undefined, `${what} not found`);
export const badValue = (detail: string) => new ScimError(400, "invalidValue", detail);
export const badSyntax = (detail: string) => new ScimError(400, "invalidSyntax", detail);
export const badPath = (detail: string) => new ScimError(400, "invalidPath", detail);
export const badFilter = (detail: string) => new ScimError(400, "invalidFilter", detail);
