// The packed package, once per change of its sources: `npm pack` (prepack builds dist/ with tsc) into a cache
// keyed on a hash of everything that goes into the tarball, then unpacked into an app's
// node_modules/convex-sso-gateway (what `npm install ./convex-sso-gateway-x.y.z.tgz` does with it, offline: the
// package's own dependencies resolve from this repository's node_modules).
//
// Used by `npm run example:install` (examples/react-app installs the tarball), the fresh-install test and the
// example app's browser test; a vitest globalSetup packs before the workers start, so a run packs at most once.
//
//   tsx scripts/pack.ts                         # print the cached tarball's path (packing if the sources changed)
//   tsx scripts/pack.ts --install <appDir>      # and unpack it into <appDir>/node_modules/convex-sso-gateway
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = join(ROOT, "node_modules", ".cache", "pack");
const INSTALLED_MARK = ".packed-from";

function walk(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => walk(join(path, name)));
}

/** A hash of what `npm pack` reads: the sources, the build config and the package's own files. */
export function sourcesHash(): string {
  const hash = createHash("sha256");
  const inputs = ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "src", "docs"].flatMap((p) => walk(join(ROOT, p)));
  for (const file of inputs) {
    hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

export interface PackedTarball {
  /** The tarball, named as `npm pack` names it. */
  path: string;
  /** The files it holds (npm pack --json). */
  files: string[];
  hash: string;
}

/** The tarball for the current sources, packing only when none is cached for them. */
export function packedTarball(): PackedTarball {
  const hash = sourcesHash();
  const dir = join(CACHE, hash);
  const manifest = join(dir, "pack.json");
  if (!existsSync(manifest)) {
    rmSync(CACHE, { recursive: true, force: true }); // older hashes: one tarball kept at a time
    const tmp = `${dir}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    const info = { filename: packed[0].filename as string, files: (packed[0].files as Array<{ path: string }>).map((f) => f.path) };
    writeFileSync(join(tmp, "pack.json"), JSON.stringify(info));
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process packed the same sources first
    }
  }
  const info = JSON.parse(readFileSync(manifest, "utf8")) as { filename: string; files: string[] };
  return { path: join(dir, info.filename), files: info.files, hash };
}

/** Unpacks the tarball into `<appDir>/node_modules/convex-sso-gateway` (skipped when that tarball is already there). */
export function installPacked(appDir: string, tarball: PackedTarball = packedTarball()): string {
  const pkgDir = join(resolve(appDir), "node_modules", "convex-sso-gateway");
  const mark = join(pkgDir, INSTALLED_MARK);
  if (existsSync(mark) && readFileSync(mark, "utf8") === tarball.hash) return pkgDir;
  const tmp = `${pkgDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync("tar", ["-xzf", tarball.path, "-C", tmp, "--strip-components=1"]);
  writeFileSync(join(tmp, INSTALLED_MARK), tarball.hash);
  rmSync(pkgDir, { recursive: true, force: true });
  renameSync(tmp, pkgDir);
  return pkgDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const tarball = packedTarball();
  const i = process.argv.indexOf("--install");
  if (i > 0) {
    const appDir = resolve(process.argv[i + 1] ?? "");
    // Where the app's package.json points ("file:../../convex-sso-gateway-0.1.0.tgz"), as `npm pack` leaves it.
    copyFileSync(tarball.path, join(ROOT, tarball.path.split("/").at(-1)!));
    console.log(`convex-sso-gateway (${tarball.hash}) installed in ${relative(ROOT, installPacked(appDir, tarball))}`);
  } else {
    console.log(tarball.path);
  }
}
