import type {
  ChatModel,
  ChatRequest,
  ChatStreamPart,
  FinishReason,
  Usage,
} from "../../../src/providers/chat-model.js";

export interface Script {
  chunks: string[];
  finishReason?: FinishReason;
  /** null: the vendor reports no usage. */
  usage?: Usage | null;
  /** Thrown after the chunks instead of finishing (a vendor failing mid-answer). */
  failWith?: Error;
  /** The stream ends after the chunks without a finish part (a body cut off). */
  cutOff?: boolean;
}

/**
 * A chat model that plays a script and records its requests, as every vendor behaves: a stop ends
 * the stream quietly. `pauseAfter(n)` holds the next answer after n chunks until `release()`, so
 * that a test can act in the middle of an answer.
 */
export class ScriptedChatModel implements ChatModel {
  readonly provider = "demo";
  readonly requests: ChatRequest[] = [];
  private gate: { after: number; reached: () => void; open: Promise<void>; release: () => void } | undefined;

  constructor(public script: Script = { chunks: ["Hello", " there"] }) {}

  /** Resolves once the next answer has sent `chunks` chunks and waits. */
  pauseAfter(chunks: number): Promise<void> {
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    return new Promise((reached) => (this.gate = { after: chunks, reached, open, release }));
  }

  release(): void {
    this.gate?.release();
    this.gate = undefined;
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    this.requests.push(request);
    const { script } = this;
    for (let i = 0; i <= script.chunks.length; i++) {
      const gate = this.gate;
      if (gate?.after === i) {
        gate.reached();
        await Promise.race([gate.open, aborted(request.abortSignal)]);
      }
      await Promise.resolve();
      if (request.abortSignal.aborted) return;
      const chunk = script.chunks[i];
      if (chunk !== undefined) yield { type: "text-delta", delta: chunk };
    }
    if (script.failWith) throw script.failWith;
    if (script.cutOff) return;
    yield {
      type: "finish",
      finishReason: script.finishReason ?? "stop",
      usage: script.usage === null ? undefined : (script.usage ?? { inputTokens: 12, outputTokens: 3 }),
    };
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
