// Protocol plug-ins for the local gateway: each may seed its demo entries, mount a built-in test IdP under a
// path prefix, add a demo-app button, and print lines in the banner.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalConfig } from "./config";
import type { DemoButton } from "./demoApp";
import type { Engine } from "./engine";

export interface LocalPluginContext {
  engine: Engine;
  config: LocalConfig;
  baseUrl: string;
  dataDir: string;
}

export interface LocalPlugin {
  prefix?: string;
  handle?(req: IncomingMessage, res: ServerResponse): Promise<void>;
  buttons?: DemoButton[];
  scim?: Array<{ baseUrl: string; token: string }>;
  banner?: string[];
  close?(): Promise<void>;
}

export type LocalPluginFactory = (ctx: LocalPluginContext) => Promise<LocalPlugin | null>;

// Registered in the order their buttons appear on the demo page.
export const localPlugins: LocalPluginFactory[] = [];

export function registerLocalPlugin(factory: LocalPluginFactory) {
  localPlugins.push(factory);
}
