import type { Request, RequestHandler, Response } from "express";
import { Router } from "express";
import busboy from "busboy";
import { finished, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError, validationFailed } from "../../errors.js";
import type { FileService, OpenedFile, Upload } from "../../files/file-service.js";
import { id, isImageType, isTextType, type FileList, type FileLink } from "../../protocol/index.js";
import { parse } from "../../validation.js";
import { principalOf } from "../request-context.js";

/** Room for a multipart body's boundaries and headers around the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

export interface FileRouteDeps {
  files: FileService;
  /** FILE_MAX_BYTES. */
  fileMaxBytes: number;
}

/**
 * Files (PROTOCOL.md: files), for callers with a token: upload to a conversation, list its files,
 * read one, and get a signed link to it.
 */
export function fileRoutes(deps: FileRouteDeps): Router {
  const router = Router();
  const { files } = deps;

  router.post("/conversations/:id/files", async (req, res) => {
    const conversationId = parse(id, req.params.id, "conversation id");
    const file = await receive(req, res, deps, (upload) =>
      files.upload(principalOf(req), conversationId, upload),
    );
    res.status(201).json({ file });
  });

  router.get("/conversations/:id/files", async (req, res) => {
    const body: FileList = {
      files: await files.list(principalOf(req), parse(id, req.params.id, "conversation id")),
    };
    res.json(body);
  });

  router.get("/files/:id/content", async (req, res) => {
    await send(res, await files.open(principalOf(req), parse(id, req.params.id, "file id")));
  });

  router.get("/files/:id/url", async (req, res) => {
    const body: FileLink = await files.link(principalOf(req), parse(id, req.params.id, "file id"));
    res.json(body);
  });
  return router;
}

/**
 * `GET /files/:id/content?expires=…&signature=…`: a signed link needs no token (an `<img>` sends
 * none), so it is answered before the token is asked for. Without a signature the request goes on
 * to the route of the same path that asks for a token (which the API document lists).
 */
export function signedFileRoute(deps: Pick<FileRouteDeps, "files">): RequestHandler {
  return async (req, res, next) => {
    const path = /^\/files\/([^/]+)\/content$/.exec(req.path);
    const { expires, signature } = req.query;
    if (req.method !== "GET" || !path || (expires === undefined && signature === undefined)) {
      next();
      return;
    }
    const fileId = parse(id, path[1], "file id");
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    const opened = await deps.files.openSigned(fileId, text(expires), text(signature));
    // The link is what grants access: a page of another origin (the widget's host) may show it.
    res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    await send(res, opened);
  };
}

/**
 * Streams the multipart body's one file (field `file`) into `store`. A body announced larger than
 * the limit is refused before it is read; past the limit mid-stream the upload is cut, and the
 * rest of the body is read and dropped so that the client gets the answer rather than a reset.
 */
function receive<T>(
  req: Request,
  res: Response,
  deps: FileRouteDeps,
  store: (upload: Upload) => Promise<T>,
): Promise<T> {
  const refused = refusedUnread(req, res, deps.fileMaxBytes);
  if (refused) return Promise.reject(refused);
  return new Promise<T>((resolve, reject) => {
    const parser = multipartParser(req, deps.fileMaxBytes);
    if (!parser) {
      reject(validationFailed("the multipart body cannot be read"));
      return;
    }
    let started = false;
    let failed = false;
    let file: Readable | undefined;
    const fail = (err: unknown) => {
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    parser.on("file", (field, stream, info) => {
      // Until the store reads it, nothing listens to its errors (a body cut short, the client gone):
      // an unheard error would end the process. The pipeline that reads it still sees one.
      stream.on("error", () => undefined);
      if (field !== "file" || started || failed) {
        // A file the parser still had after the upload failed (the client gone) is never stored.
        if (failed) stream.destroy();
        else stream.resume();
        return;
      }
      started = true;
      file = stream;
      store({ name: info.filename ?? "file", claimedType: info.mimeType ?? "", body: stream }).then(
        (result) => {
          req.resume();
          resolve(result);
        },
        fail,
      );
    });
    parser.on("error", () => {
      if (!started) fail(validationFailed("the multipart body cannot be read"));
    });
    parser.on("close", () => {
      if (!started) fail(validationFailed("the body holds no file in the field `file`"));
    });
    whenCut(req, () => {
      const cut = validationFailed("the upload was cut off");
      if (file && !file.destroyed) file.destroy(cut);
      fail(cut);
    });
    req.pipe(parser);
  });
}

/**
 * Calls `onCut` when the client goes away mid-upload, even while the request was being
 * authenticated, before this listened. A request whose bytes all arrived may still be cut before
 * they were read: `complete` says nothing of that, the error does.
 */
function whenCut(req: Request, onCut: () => void): void {
  finished(req, (err) => {
    if (err) onCut();
  });
}

/** A body that is not multipart, or announced far past the limit: refused before it is read. */
function refusedUnread(req: Request, res: Response, maxBytes: number): AppError | undefined {
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    return validationFailed("send the file as multipart/form-data, in the field `file`");
  }
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_OVERHEAD) {
    // The answer ends the connection: the rest of the body is not worth reading.
    res.setHeader("Connection", "close");
    req.resume();
    return tooLarge(maxBytes);
  }
  return undefined;
}

/** busboy for one file of at most `maxBytes`; null when the request's multipart header is unusable. */
function multipartParser(req: Request, maxBytes: number): busboy.Busboy | null {
  try {
    return busboy({
      headers: req.headers,
      // One byte past the limit, so that the inspector sees the file is too large.
      limits: { files: 3, fileSize: maxBytes + 1, fields: 10, fieldSize: 1024, parts: 13 },
      defParamCharset: "utf8",
    });
  } catch {
    return null;
  }
}

const tooLarge = (maxBytes: number) =>
  new AppError("payload_too_large", `a file may have at most ${maxBytes} bytes`);

/** A file's bytes, never as a page: its stored type, nosniff, and `attachment` for all but images. */
async function send(res: Response, { file, body }: OpenedFile): Promise<void> {
  res.setHeader(
    "Content-Type",
    isTextType(file.mediaType) ? `${file.mediaType}; charset=utf-8` : file.mediaType,
  );
  res.setHeader("Content-Length", String(file.size));
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader(
    "Content-Disposition",
    disposition(isImageType(file.mediaType) ? "inline" : "attachment", file.name),
  );
  res.setHeader("Content-Security-Policy", "default-src 'none'; sandbox");
  res.setHeader("Cache-Control", "private, max-age=300");
  try {
    await pipeline(body, res);
  } catch {
    // The store failed or the client left mid-file: the response is cut (its length says so).
    res.destroy();
  }
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266). */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7E]|["\\%]/g, "_");
  // RFC 5987 leaves only attr-chars unencoded: encodeURIComponent's also leaves '()* and !~.
  const encoded = encodeURIComponent(name).replace(
    /['()*!~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
