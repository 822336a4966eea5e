/**
 * The package as users get it, installed into an application in a temporary directory: first as a package of an
 * npm workspace (a copy of this checkout: `npm install` builds it through `prepare`), then from the tarball that
 * `npm pack` makes of that copy. In both the application (test/package/app: a signal with a `Schema.Number` field)
 * runs on SQLite, and the installed `durable-monad` bin inspects and draws the application's own `.ts` module.
 *
 * Cost: installs come from the npm cache (`--prefer-offline`), and better-sqlite3 installs from a "local prebuild"
 * made of this checkout's compiled addon (prebuild-install reads `local-prebuilds` from a `.prebuild-installrc`
 * above the install), so nothing is compiled. About a minute in all, most of it the workspace's `npm install`.
 */
import { execFile } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..")
const APP = join(ROOT, "test/package/app")
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const TSC = join(ROOT, "node_modules/typescript/bin/tsc")

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const run = (cwd: string, command: string, args: ReadonlyArray<string>): Promise<Run> =>
  new Promise((done) => {
    execFile(
      command,
      args,
      {
        cwd,
        env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false", npm_config_fund: "false" },
        maxBuffer: 64 * 1024 * 1024
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        done({ code, stdout, stderr })
      }
    )
  })

/** Runs and expects success; on failure the assertion shows what the command printed. */
const ok = async (cwd: string, command: string, args: ReadonlyArray<string>): Promise<Run> => {
  const result = await run(cwd, command, args)
  expect(result.code, `${command} ${args.join(" ")} in ${cwd}\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

const npm = (cwd: string, ...args: ReadonlyArray<string>) =>
  ok(cwd, "npm", [...args, "--prefer-offline", "--no-audit", "--no-fund"])

/** The installed bin, as an application calls it (in a workspace, npm links bins at the workspace root). */
const cli = (cwd: string, ...args: ReadonlyArray<string>) => run(cwd, "npx", ["--no-install", "durable-monad", ...args])

const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)

let dir: string

/** A copy of this checkout: what git tracks or would track, as a clone would have it (no node_modules, no dist). */
const copyLibrary = async (to: string) => {
  const { stdout } = await ok(ROOT, "git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"])
  for (const file of stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)))) {
    cpSync(join(ROOT, file), join(to, file), { recursive: true })
  }
}

/** The application: the fixture's modules, and a package.json with what it depends on. */
const makeApp = (to: string, dependencies: Record<string, string>) => {
  mkdirSync(to, { recursive: true })
  cpSync(APP, to, { recursive: true })
  writeJson(join(to, "package.json"), {
    name: "app",
    private: true,
    type: "module",
    dependencies,
    // npm 11 asks which dependencies may run install scripts; a registry install of durable-monad has none.
    allowScripts: { "better-sqlite3": true, esbuild: true, "durable-monad": false }
  })
}

const STATES = ['{"_tag":"Shipped","sku":"tea","qty":1}', '{"_tag":"Ordered","sku":"cups","qty":2.5}']

const INSTANCES = [
  "Instances of workflow order in app.db:",
  "",
  "  instance  status                step      state",
  '  o-1       completed                       Shipped { sku: "tea", qty: 1 }',
  '  o-2       waiting for Dispatch  dispatch  Ordered { sku: "cups", qty: 2.5 }'
]

/** The application's workflow runs on SQLite, and the installed CLI reads its .ts module and that database. */
const runsTheApplication = async (app: string) => {
  const ran = await ok(app, process.execPath, ["--import", "tsx", "run.ts"])
  expect(ran.stdout.trim().split("\n")).toEqual(STATES)

  const inspect = await cli(app, "inspect", "order.ts#order", "--db", "app.db")
  expect(inspect.stderr).toBe("")
  expect(inspect.stdout.trimEnd().split("\n")).toEqual(INSTANCES)

  const svg = await cli(app, "render", "order.ts#order", "-f", "svg", "--db", "app.db", "--instance", "o-2")
  expect(svg.stderr).toBe("")
  expect(svg.code).toBe(0)
  expect(svg.stdout).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  expect(svg.stdout).toContain("<title>Dispatch")
  expect(svg.stdout).toContain('aria-label="order"')
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "durable-monad-package-"))
  const addon = join(ROOT, "node_modules/better-sqlite3")
  const version = (JSON.parse(readFileSync(join(addon, "package.json"), "utf8")) as { version: string }).version
  const prebuilds = join(dir, "prebuilds")
  mkdirSync(prebuilds)
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  await ok(addon, "tar", ["-czf", join(prebuilds, name), "build/Release/better_sqlite3.node"])
  writeFileSync(join(dir, ".prebuild-installrc"), `local-prebuilds=${prebuilds}\n`)
}, 30_000)

// Two installed applications: removing them takes more than the default hook timeout on a busy machine.
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000)

describe("the package, installed into an application", { timeout: 240_000 }, () => {
  let tarball: string

  test("as an npm workspace package: npm install builds it, one copy of effect, the CLI reads the app's .ts module", async () => {
    const ws = join(dir, "workspace")
    const library = join(ws, "durable-monad")
    mkdirSync(library, { recursive: true })
    await copyLibrary(library)
    writeJson(join(ws, "package.json"), {
      name: "monorepo",
      private: true,
      workspaces: ["durable-monad", "app"],
      allowScripts: { "better-sqlite3": true, esbuild: true, "durable-monad": true }
    })
    makeApp(join(ws, "app"), { "durable-monad": `^${pkg.version}`, effect: pkg.peerDependencies.effect! })

    await npm(ws, "install")
    expect(existsSync(join(library, "dist/src/index.js")), "prepare built the library").toBe(true)
    // One effect, hoisted: the library's (a dev dependency, to build it) and the application's are one.
    expect(existsSync(join(ws, "node_modules/effect/package.json"))).toBe(true)
    expect(existsSync(join(library, "node_modules/effect"))).toBe(false)
    expect(existsSync(join(ws, "app/node_modules/effect"))).toBe(false)

    await runsTheApplication(join(ws, "app"))

    // The tarball of the next test, packed from this copy (`prepare` builds it again).
    const packed = await npm(library, "pack", "--pack-destination", dir)
    tarball = join(dir, packed.stdout.trim().split("\n").at(-1)!)
    // Scripts off: `pack` has just built it, and one more build would only cost time.
    const dryRun = await npm(library, "publish", "--dry-run", "--ignore-scripts")
    // Not logged in is the one warning a dry run may give here.
    expect(dryRun.stderr.split("\n").filter((l) => l.startsWith("npm warn") && !l.includes("logged in"))).toEqual([])
  })

  test("from the packed tarball: optional dependencies are asked for by name, effect copies are refused", async () => {
    const app = join(dir, "app")
    makeApp(app, {})
    await npm(app, "install", tarball, `effect@${pkg.peerDependencies.effect}`)
    const installed = join(app, "node_modules/durable-monad")
    expect(existsSync(join(installed, "node_modules")), "no dependency of its own beside the app's").toBe(false)
    for (const optional of ["bpmn-moddle", "tsx"]) expect(existsSync(join(app, "node_modules", optional))).toBe(false)

    // Without tsx, a .ts module is refused with what to install.
    const noTsx = await cli(app, "render", "order.ts#order", "-f", "mermaid")
    expect([noTsx.code, noTsx.stderr]).toEqual([
      1,
      `error: order.ts is TypeScript, and loading it needs tsx, which is not installed: npm install --save-dev tsx@${pkg.peerDependencies.tsx} (or pass the compiled .js module)\n`
    ])

    await npm(
      app,
      "install",
      "--save-dev",
      `tsx@${pkg.peerDependencies.tsx}`,
      `@types/node@${pkg.devDependencies["@types/node"]}`
    )
    // The declarations resolve under both of TypeScript's modern resolutions, library checks included.
    const strict = {
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: false,
      types: ["node"]
    }
    writeJson(join(app, "tsconfig.node16.json"), {
      compilerOptions: { ...strict, target: "ES2022", module: "node16", moduleResolution: "node16" },
      files: ["run.ts"]
    })
    writeJson(join(app, "tsconfig.bundler.json"), {
      compilerOptions: { ...strict, target: "ES2022", module: "preserve", moduleResolution: "bundler" },
      files: ["run.ts"]
    })
    await ok(app, process.execPath, [TSC, "-p", "tsconfig.node16.json"])
    await ok(app, process.execPath, [TSC, "-p", "tsconfig.bundler.json"])

    // Mermaid and SVG need no optional dependency; BPMN names what it misses.
    const mermaid = await cli(app, "render", "order.ts#order", "-f", "mermaid")
    expect(mermaid.stdout.split("\n").slice(0, 2)).toEqual(["%% order", "flowchart LR"])
    const svg = await cli(app, "render", "order.ts#order", "-f", "svg")
    expect([svg.code, svg.stderr]).toEqual([0, ""])
    expect(svg.stdout).toMatch(/^<svg /)
    const noModdle = await cli(app, "render", "order.ts#order", "-f", "bpmn")
    expect([noModdle.code, noModdle.stderr]).toEqual([
      1,
      `error: drawing BPMN 2.0 XML needs bpmn-moddle, an optional dependency of durable-monad that is not installed: npm install bpmn-moddle@${pkg.peerDependencies["bpmn-moddle"]}\n`
    ])

    // Installed, the demo runs without bpmn-moddle (SVG and Mermaid, and what BPMN needs), and its
    // closing hints call the CLI the way an application does.
    const demo = await cli(app, "demo", "--db", "demo.db", "--out", "diagrams")
    expect(demo.stderr).toBe("")
    expect(demo.stdout.trimEnd().split("\n").slice(-10)).toEqual([
      "Open .svg in a browser, .mmd in any Mermaid viewer. BPMN needs the optional dependency bpmn-moddle:",
      `  npm install bpmn-moddle@${pkg.peerDependencies["bpmn-moddle"]}`,
      "",
      "Next",
      "────",
      "Look at the instances again, from the file:",
      "  npx durable-monad inspect node_modules/durable-monad/dist/examples/pull-request.js#pullRequest --db demo.db",
      "  npx durable-monad inspect node_modules/durable-monad/dist/examples/pull-request.js#pullRequest --db demo.db --instance approved",
      "  npx durable-monad render node_modules/durable-monad/dist/examples/pull-request.js#pullRequest --format svg --db demo.db --instance in-review -o in-review.svg",
      "  npx durable-monad inspect node_modules/durable-monad/dist/examples/withdrawal.js#withdrawal --db demo.db --instance third-attempt"
    ])
    // The withdrawal part runs from the package too (its fakes ship in dist/examples, its clock is effect's).
    expect(demo.stdout).toContain(
      "Calls to the external system: 3. 2 failed, each recorded as AttemptFailed; the third was accepted"
    )
    expect(readdirSync(join(app, "diagrams")).sort().slice(0, 2)).toEqual(["approved.mmd", "approved.svg"])

    // A second copy of effect beside durable-monad (as a nested install leaves it): refused when the library loads.
    const nested = join(installed, "node_modules/effect")
    cpSync(join(app, "node_modules/effect"), nested, { recursive: true })
    const twoCopies = await run(app, process.execPath, ["--import", "tsx", "run.ts"])
    expect(twoCopies.code).toBe(1)
    expect(twoCopies.stderr).toContain("TwoEffectCopiesError: two copies of effect are loaded")
    expect(twoCopies.stderr).toContain(`  - ${join(app, "node_modules/effect")} (effect `)
    expect(twoCopies.stderr).toContain(`  - ${nested} (effect `)
    expect(twoCopies.stderr).toContain("run `npm dedupe`")
    expect(existsSync(join(app, "app.db")), "nothing ran").toBe(false)
    rmSync(join(installed, "node_modules"), { recursive: true })

    await npm(app, "install", `bpmn-moddle@${pkg.peerDependencies["bpmn-moddle"]}`)
    await runsTheApplication(app)
    const bpmn = await cli(app, "render", "order.ts#order", "-f", "bpmn")
    expect(bpmn.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<bpmn:definitions /)
  })
})
