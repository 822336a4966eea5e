/**
 * The services `effect/cli` needs (`Command.Environment`), implemented on Node's own modules.
 *
 * `@effect/platform-node` 4.x requires Node >= 22 and we support Node 20, so this file provides the few pieces the
 * CLI uses: the file operations it needs (on `node:fs`), process stdio, a terminal that prints but does not prompt,
 * and a child-process spawner that refuses (the CLI never starts processes).
 */
import * as fs from "node:fs/promises"
import { Effect, FileSystem, Layer, Option, Path, PlatformError, Sink, Stdio, Stream, Terminal } from "effect"
import * as ByteSize from "effect/ByteSize"
import { ChildProcessSpawner } from "effect/process"

const errorTags: Readonly<Record<string, PlatformError.SystemErrorTag>> = {
  ENOENT: "NotFound",
  ENOTDIR: "NotFound",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EROFS: "PermissionDenied",
  EEXIST: "AlreadyExists",
  EISDIR: "BadResource",
  EBUSY: "Busy",
  ETIMEDOUT: "TimedOut"
}

/** A `node:fs` error as the `PlatformError` effect's FileSystem speaks. */
const platformError = (method: string, path: string) => (cause: unknown) => {
  const e = cause as NodeJS.ErrnoException
  return PlatformError.systemError({
    _tag: errorTags[e.code ?? ""] ?? "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    description: e.message,
    ...(e.syscall === undefined ? {} : { syscall: e.syscall }),
    cause
  })
}

const tryFs = <A>(method: string, path: string, f: () => Promise<A>): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.tryPromise({ try: f, catch: platformError(method, path) })

const fileType = (s: import("node:fs").Stats): FileSystem.File.Type =>
  s.isFile()
    ? "File"
    : s.isDirectory()
      ? "Directory"
      : s.isSymbolicLink()
        ? "SymbolicLink"
        : s.isFIFO()
          ? "FIFO"
          : s.isSocket()
            ? "Socket"
            : s.isBlockDevice()
              ? "BlockDevice"
              : s.isCharacterDevice()
                ? "CharacterDevice"
                : "Unknown"

const info = (s: import("node:fs").BigIntStats): FileSystem.File.Info => ({
  type: fileType(s as unknown as import("node:fs").Stats),
  mtime: Option.some(s.mtime),
  atime: Option.some(s.atime),
  birthtime: Option.some(s.birthtime),
  dev: s.dev,
  ino: Option.some(s.ino),
  mode: Number(s.mode),
  nlink: Option.some(s.nlink),
  uid: Option.some(Number(s.uid)),
  gid: Option.some(Number(s.gid)),
  rdev: Option.some(s.rdev),
  size: ByteSize.bytes(s.size),
  blksize: Option.some(ByteSize.bytes(s.blksize)),
  blocks: Option.some(s.blocks)
})

/**
 * The file operations the CLI uses (effect/cli's path flags use `exists` and `stat`; the commands read, write,
 * create directories and remove files). Anything else fails as effect's no-op file system does.
 */
export const fileSystem: FileSystem.FileSystem = FileSystem.makeNoop({
  access: (path, options) =>
    tryFs("access", path, () =>
      fs.access(
        path,
        (options?.readable ? fs.constants.R_OK : 0) | (options?.writable ? fs.constants.W_OK : 0) || fs.constants.F_OK
      )
    ),
  exists: (path) =>
    Effect.tryPromise({
      try: () =>
        fs.stat(path).then(
          () => true,
          (e: NodeJS.ErrnoException) => (e.code === "ENOENT" || e.code === "ENOTDIR" ? false : Promise.reject(e))
        ),
      catch: platformError("exists", path)
    }),
  stat: (path) => tryFs("stat", path, () => fs.stat(path, { bigint: true }).then(info)),
  readFile: (path) => tryFs("readFile", path, () => fs.readFile(path).then((b) => new Uint8Array(b))),
  readFileString: (path, encoding) =>
    tryFs("readFileString", path, () => fs.readFile(path, { encoding: (encoding ?? "utf8") as BufferEncoding })),
  readDirectory: (path, options) =>
    tryFs("readDirectory", path, () => fs.readdir(path, { recursive: options?.recursive ?? false })),
  writeFile: (path, data, options) =>
    tryFs("writeFile", path, () =>
      fs.writeFile(path, data, { flag: options?.flag ?? "w", mode: options?.mode ?? 0o666 })
    ),
  writeFileString: (path, data, options) =>
    tryFs("writeFileString", path, () =>
      fs.writeFile(path, data, { encoding: "utf8", flag: options?.flag ?? "w", mode: options?.mode ?? 0o666 })
    ),
  makeDirectory: (path, options) =>
    tryFs("makeDirectory", path, () =>
      fs.mkdir(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 }).then(() => undefined)
    ),
  remove: (path, options) =>
    tryFs("remove", path, () => fs.rm(path, { recursive: options?.recursive ?? false, force: options?.force ?? false }))
})

/** Write to a Node stream, resuming once the chunk is handed to the OS (or buffered). */
const write =
  (stream: NodeJS.WriteStream, method: string) =>
  (chunk: string | Uint8Array): Effect.Effect<void, PlatformError.PlatformError> =>
    Effect.callback<void, PlatformError.PlatformError>((resume) => {
      stream.write(chunk, (error) =>
        resume(
          error
            ? Effect.fail(
                PlatformError.systemError({ _tag: "Unknown", module: "Stdio", method, description: error.message })
              )
            : Effect.void
        )
      )
    })

export const stdio: Stdio.Stdio = Stdio.make({
  args: Effect.sync(() => process.argv.slice(2)),
  stdinIsTerminal: Effect.sync(() => process.stdin.isTTY === true),
  stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
  stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true),
  stdout: () => Sink.forEach(write(process.stdout, "stdout")),
  stderr: () => Sink.forEach(write(process.stderr, "stderr")),
  stdin: Stream.fromAsyncIterable(process.stdin as AsyncIterable<Uint8Array>, (cause) =>
    PlatformError.systemError({ _tag: "Unknown", module: "Stdio", method: "stdin", cause })
  )
})

const noPrompts = (what: string) =>
  Effect.die(new Error(`durable-monad's CLI is not interactive (${what} is not supported); pass flags instead`))

/** A terminal that displays text on stdout but never prompts (no command of this CLI asks questions). */
export const terminal: Terminal.Terminal = Terminal.make({
  columns: Effect.sync(() => process.stdout.columns ?? 80),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  size: noPrompts("watching the terminal size"),
  readInput: noPrompts("reading keys"),
  readLine: noPrompts("reading a line"),
  display: (text) => write(process.stdout, "display")(text)
})

/** The CLI starts no child processes: any attempt fails with a clear error. */
export const childProcessSpawner = ChildProcessSpawner.ChildProcessSpawner.of(
  ChildProcessSpawner.make((command) =>
    Effect.fail(
      PlatformError.badArgument({
        module: "ChildProcessSpawner",
        method: "spawn",
        description: `durable-monad's CLI does not start child processes (asked to run ${JSON.stringify(command)})`
      })
    )
  )
)

/** Everything `Command.run` needs, on Node. */
export const layer = Layer.mergeAll(
  Layer.succeed(FileSystem.FileSystem, fileSystem),
  Path.layer,
  Layer.succeed(Stdio.Stdio, stdio),
  Layer.succeed(Terminal.Terminal, terminal),
  Layer.succeed(ChildProcessSpawner.ChildProcessSpawner, childProcessSpawner)
)
