import { expect } from "chai";
import { createLogger } from "../../src/observability/logger.js";
import type { Ack, ChatAcks } from "../../src/protocol/index.js";
import { chatAck } from "../../src/realtime/ack.js";

const logger = createLogger("silent");
const conversationId = "8a6e0804-2691-4b4a-b0a3-8a1e5d8b1d9f";

/** Calls a wrapped handler as Socket.IO would, and resolves with what its ack was answered. */
function ackOf<T>(listener: (payload: never, ack: (answer: Ack<T>) => void) => void, payload: unknown) {
  return new Promise<Ack<T>>((resolve) =>
    (listener as (p: unknown, a: (x: Ack<T>) => void) => void)(payload, resolve),
  );
}

describe("acks", () => {
  it("answer a handler's result as {ok: true, data}, after the payload is parsed by the event's schema", async () => {
    const listener = chatAck("generation:stop", logger, (p) =>
      Promise.resolve({ stopped: p.conversationId.length > 0 }),
    );
    expect(await ackOf<ChatAcks["generation:stop"]>(listener, { conversationId })).to.deep.equal({
      ok: true,
      data: { stopped: true },
    });
    const refused = await ackOf<ChatAcks["generation:stop"]>(listener, { conversationId: "nope" });
    expect(refused.ok === false && refused.error.code).to.equal("validation_failed");
  });

  it("are checked by the compiler: a handler answering another event's shape does not compile", () => {
    // `npm run typecheck` (part of `npm test`) fails if any line marked below compiles.
    // @ts-expect-error message:send answers {message, assistantMessageId}, not {stopped}
    chatAck("message:send", logger, () => Promise.resolve({ stopped: true }));
    // @ts-expect-error generation:stop answers {stopped: boolean}, not a string
    chatAck("generation:stop", logger, () => Promise.resolve({ stopped: "yes" }));
    // @ts-expect-error conversation:join answers its snapshot, never nothing
    chatAck("conversation:join", logger, () => Promise.resolve(undefined));
    // @ts-expect-error the payload is the event's own: generation:stop carries no content
    chatAck("generation:stop", logger, (p) => Promise.resolve({ stopped: p.content === "" }));
    // The right shape compiles.
    chatAck("auth:refresh", logger, () => Promise.resolve({ expiresAt: new Date().toISOString() }));
  });
});
