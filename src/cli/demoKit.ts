/**
 * What the parts of `durable-monad demo` share: printing, the diagrams written for a workflow and its instances,
 * and how the closing hints call this CLI again.
 */
import { existsSync, realpathSync } from "node:fs"
import { basename, extname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { Console, Effect, type FileSystem, Result } from "effect"
import type { Definition, Instance, Progress, WorkflowModel } from "durable-monad"
import { manifest } from "../package/manifest.js"
import { installSpec, peerRange } from "../package/optionalDependency.js"
import { type CliFailure, indent, table } from "./format.js"
import { DRAWING_NEEDS, draw, type Format, writeText } from "./render.js"

export type InstanceOf<D> =
  D extends Definition<infer In, infer Out, infer E, infer R, infer S> ? Instance<In, Out, E, R, S> : never

export const say = (...lines: ReadonlyArray<string>) => Console.log(lines.join("\n"))

const EXTENSIONS: Readonly<Record<Format, string>> = { bpmn: "bpmn", svg: "svg", mermaid: "mmd" }

/**
 * Writes diagrams into `out`, each in BPMN, SVG and Mermaid, and remembers them for {@link DiagramWriter.report}.
 * Without bpmn-moddle (optional) it still writes SVG and Mermaid, and the report says what BPMN needs.
 */
export interface DiagramWriter {
  /** Write `model` (with an instance's `progress`) as `<name>.bpmn|svg|mmd`, listed under `label`. */
  readonly write: (
    label: string,
    name: string,
    model: WorkflowModel,
    progress: Progress | undefined
  ) => Effect.Effect<void, CliFailure, FileSystem.FileSystem>
  /** The lines that list what was written, and how to open it. */
  readonly report: () => Array<string>
}

export const diagramWriter = (out: string): DiagramWriter => {
  const written: Array<Array<string>> = []
  const missing = new Set<Format>()
  return {
    write: (label, name, model, progress) =>
      Effect.gen(function* () {
        const files: Array<string> = []
        for (const format of ["bpmn", "svg", "mermaid"] as const) {
          const drawn = missing.has(format) ? undefined : yield* Effect.result(draw(model, format, progress))
          if (drawn === undefined || Result.isFailure(drawn)) {
            missing.add(format)
            files.push("-")
            continue
          }
          const file = join(out, `${name}.${EXTENSIONS[format]}`)
          yield* writeText(file, drawn.success)
          files.push(basename(file))
        }
        written.push([label, ...files])
      }),
    report: () => {
      const install = DRAWING_NEEDS.bpmn.map((name) => installSpec(name, peerRange(name)))
      return [
        ...indent(table(["diagram", "BPMN", "SVG", "Mermaid"], written)),
        "",
        ...(missing.size === 0
          ? ["Open .bpmn in bpmn.io or Camunda Modeler, .svg in a browser, .mmd in any Mermaid viewer."]
          : [
              "Open .svg in a browser, .mmd in any Mermaid viewer. BPMN needs the optional dependency bpmn-moddle:",
              `  npm install ${install.join(" ")}`
            ])
      ]
    }
  }
}

/**
 * How to call this CLI again, and an example's module#export (`file` under examples/, without extension). In this
 * repository (the current directory is the package's own): `npm run cli --` and the example's source. Elsewhere,
 * where the package is installed: `npx durable-monad` and the example this process loaded (under
 * node_modules/durable-monad/dist/examples).
 */
export const invocation = (file: string, name: string) => {
  const root = manifest()?.root
  if (root !== undefined && root === realpathSync(process.cwd()) && existsSync(join(root, `examples/${file}.ts`))) {
    return { cli: "npm run cli --", example: `examples/${file}.ts#${name}` }
  }
  const example = fileURLToPath(new URL(`../../examples/${file}${extname(import.meta.url)}`, import.meta.url))
  return { cli: "npx durable-monad", example: `${relative(process.cwd(), example)}#${name}` }
}
