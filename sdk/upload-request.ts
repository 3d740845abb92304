/**
 * One multipart upload (`POST .../files`, the file in field `file`) with its progress. In a browser it
 * goes through `XMLHttpRequest`, whose `upload.onprogress` reports the bytes sent as they go: `fetch`
 * has no upload progress. Where there is no `XMLHttpRequest` (Node), or the client was given its own
 * `fetch`, it goes through `fetch` with a `FormData` body, and the progress is reported only at the
 * start (0) and once the server has accepted it (everything): `fetch` tells nothing in between.
 */
import { ConfabError } from "./errors.js";

/** Bytes sent so far of the request's body, and its whole size (both known at the start). */
export type UploadProgress = (loaded: number, total: number) => void;

export interface UploadRequest {
  url: URL;
  token: string;
  file: Blob;
  name: string;
  onProgress?: UploadProgress | undefined;
  signal?: AbortSignal | undefined;
}

/** What came back: the status, the text of the body, and the `Retry-After` header. */
export interface UploadAnswer {
  status: number;
  statusText: string;
  body: string;
  retryAfter: string | null;
}

/** The refusal a cancelled upload gives (its `signal` aborted). */
export const abortedUpload = () => new ConfabError({ code: "aborted", message: "the upload was cancelled" });

/** Sends the file and resolves with the server's answer, whatever its status. */
export function sendUpload(
  request: UploadRequest,
  fetchImpl: typeof fetch | undefined,
): Promise<UploadAnswer> {
  if (request.signal?.aborted) return Promise.reject(abortedUpload());
  return typeof XMLHttpRequest === "function" && fetchImpl === undefined
    ? withXhr(request)
    : withFetch(request, fetchImpl ?? fetch);
}

function formOf(request: UploadRequest): FormData {
  const form = new FormData();
  form.append("file", request.file, request.name);
  return form;
}

function withXhr(request: UploadRequest): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const { signal, onProgress, file } = request;
    const onAbort = () => xhr.abort();
    const done = () => signal?.removeEventListener("abort", onAbort);
    xhr.open("POST", request.url.href);
    xhr.setRequestHeader("authorization", `Bearer ${request.token}`);
    xhr.upload.onprogress = (event) => {
      // The body is the multipart form, a little more than the file: told as the file's bytes.
      if (!event.lengthComputable) return;
      onProgress?.(Math.round((event.loaded / event.total) * file.size), file.size);
    };
    xhr.onload = () => {
      done();
      resolve({
        status: xhr.status,
        statusText: xhr.statusText,
        body: xhr.responseText,
        retryAfter: xhr.getResponseHeader("retry-after"),
      });
    };
    xhr.onerror = () => {
      done();
      reject(
        new ConfabError({ code: "unavailable", message: "the upload failed: no answer from the server" }),
      );
    };
    xhr.onabort = () => {
      done();
      reject(abortedUpload());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    onProgress?.(0, file.size);
    xhr.send(formOf(request));
  });
}

async function withFetch(request: UploadRequest, fetchImpl: typeof fetch): Promise<UploadAnswer> {
  const { onProgress, file, signal } = request;
  onProgress?.(0, file.size);
  let res: Response;
  try {
    res = await fetchImpl(request.url, {
      method: "POST",
      headers: { authorization: `Bearer ${request.token}` },
      body: formOf(request),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw abortedUpload();
    throw err;
  }
  const answer = {
    status: res.status,
    statusText: res.statusText,
    body: await res.text(),
    retryAfter: res.headers.get("retry-after"),
  };
  if (answer.status >= 200 && answer.status < 300) onProgress?.(file.size, file.size);
  return answer;
}
