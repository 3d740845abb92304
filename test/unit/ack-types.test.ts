import { expect } from "chai";
import { createLogger } from "../../src/observability/logger.js";
import type { Ack, ChatAcks } from "../../src/protocol/index.js";
import { chatAcks, type ChatHandler, type ChatHandlers } from "../../src/realtime/ack.js";
import type { ChatSocket } from "../../src/realtime/chat-namespace.js";

const logger = createLogger("silent");
const conversationId = "8a6e0804-2691-4b4a-b0a3-8a1e5d8b1d9f";
/** The handlers below never look at the socket. */
const socket = {} as ChatSocket;
const unused = () => Promise.reject(new Error("not this one"));

/** Every `/chat` event refused, but `generation:stop`. */
const handlers: ChatHandlers = {
  "conversation:join": unused,
  "conversation:leave": unused,
  "message:send": unused,
  "message:edit": unused,
  "message:regenerate": unused,
  "conversation:checkout": unused,
  "generation:stop": (_socket, p) => Promise.resolve({ stopped: p.conversationId.length > 0 }),
  "tool:decide": unused,
  "auth:refresh": unused,
};

/** Sends an event as Socket.IO would hand it over, and resolves with what its ack was answered. */
function ackOf<T>(event: string, payload: unknown) {
  return new Promise<Ack<T>>((resolve) =>
    chatAcks(handlers, logger).answer(event, socket, payload, (answer) => resolve(answer as Ack<T>)),
  );
}

describe("acks", () => {
  it("answer a handler's result as {ok: true, data}, after the payload is parsed by the event's schema", async () => {
    expect(await ackOf<ChatAcks["generation:stop"]>("generation:stop", { conversationId })).to.deep.equal({
      ok: true,
      data: { stopped: true },
    });
    const refused = await ackOf<ChatAcks["generation:stop"]>("generation:stop", { conversationId: "nope" });
    expect(refused.ok === false && refused.error.code).to.equal("validation_failed");
    const failed = await ackOf<ChatAcks["conversation:leave"]>("conversation:leave", { conversationId });
    expect(failed.ok === false && failed.error.code).to.equal("internal");
  });

  it("know the namespace's events, and nothing of an object's prototype", () => {
    const events = chatAcks(handlers, logger);
    expect(events.has("generation:stop")).to.equal(true);
    expect(events.has("typing")).to.equal(false);
    expect(events.has("constructor")).to.equal(false);
    expect(events.has("__proto__")).to.equal(false);
  });

  it("are checked by the compiler: a handler answering another event's shape does not compile", () => {
    // `npm run typecheck` (part of `npm test`) fails if any line marked below compiles.
    // @ts-expect-error message:send answers {message, assistantMessageId}, not {stopped}
    const send: ChatHandler<"message:send"> = () => Promise.resolve({ stopped: true });
    // @ts-expect-error generation:stop answers {stopped: boolean}, not a string
    const stop: ChatHandler<"generation:stop"> = () => Promise.resolve({ stopped: "yes" });
    // @ts-expect-error conversation:join answers its snapshot, never nothing
    const join: ChatHandler<"conversation:join"> = () => Promise.resolve(undefined);
    // @ts-expect-error the payload is the event's own: generation:stop carries no content
    const content: ChatHandler<"generation:stop"> = (_s, p) => Promise.resolve({ stopped: p.content === "" });
    // @ts-expect-error every event has its handler: tool:decide is missing
    const incomplete: ChatHandlers = { ...handlers, "tool:decide": undefined };
    // The right shape compiles.
    const refresh: ChatHandler<"auth:refresh"> = () =>
      Promise.resolve({ expiresAt: new Date().toISOString() });
    expect([send, stop, join, content, incomplete, refresh]).to.have.length(6);
  });
});
