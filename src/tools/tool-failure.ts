/** At most this many characters of a reason a tool gave, so that a reason stays short. */
const MAX_REASON = 500;

/** A reason a tool or its server gave, cut to a readable length. */
export function shortReason(reason: string): string {
  const trimmed = reason.trim() || "the tool failed";
  return trimmed.length > MAX_REASON ? `${trimmed.slice(0, MAX_REASON)}…` : trimmed;
}

/**
 * Why a call ended before an answer, in words the model and the people may read: the time ran out,
 * the answer was stopped, or the server could not be reached (never a stack, never a URL's secret).
 */
export function failureReason(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof DOMException && reason.name === "TimeoutError"
      ? "the tool did not answer in time"
      : "the call was stopped";
  }
  const code = errorCode(err);
  if (code === "ECONNREFUSED") return "the tool's server refused the connection";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the tool's host was not found";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "the tool's server closed the connection";
  return "the tool's server could not be reached";
}

/** The system error code of an error or of its causes (fetch wraps them as `cause`). */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0) e = inner[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
