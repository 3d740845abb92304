/**
 * The AI SDK's `useChat` over Confab: the whole change from a stock `useChat` app is its transport
 * (`ConfabChatTransport`). Served at `/react.html`; a reload mid-answer picks the answer up again
 * (`resume: true` → `reconnectToStream`).
 */
import { useChat } from "@ai-sdk/react";
import type { UIMessage } from "ai";
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { ConfabChatTransport, fetchDevToken } from "../sdk/index.js";

const DEMO_AGENT = "00000000-0000-4000-8000-000000000001";
const KEY = "confab.react.conversation";

function Chat({
  transport,
  chatId,
  initial,
}: {
  transport: ConfabChatTransport;
  chatId: string;
  initial: UIMessage[];
}) {
  const { messages, sendMessage, status, stop } = useChat({
    id: chatId,
    transport,
    messages: initial,
    resume: true,
  });
  const [input, setInput] = useState("");
  const online = useOnline(transport, chatId);
  return (
    <main style={{ maxWidth: 720, margin: "2em auto", font: "15px system-ui" }}>
      <h1>useChat over Confab</h1>
      <ol id="messages">
        {messages.map((m) => (
          <li key={m.id} className={m.role} data-id={m.id}>
            <b>{m.role === "user" ? "You" : "Assistant"}: </b>
            <span className="text">{m.parts.map((p) => (p.type === "text" ? p.text : "")).join("")}</span>
          </li>
        ))}
      </ol>
      <p id="status">{status}</p>
      <p id="online">{online.length > 0 ? `Online: ${online.join(", ")}` : ""}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!input.trim()) return;
          void sendMessage({ text: input });
          setInput("");
        }}
      >
        <input aria-label="Message" value={input} onChange={(e) => setInput(e.target.value)} />
        <button type="submit" disabled={status === "streaming" || status === "submitted"}>
          Send
        </button>
        <button type="button" onClick={() => void stop()}>
          Stop
        </button>
      </form>
    </main>
  );
}

/** Who has the conversation open now, from the transport's conversation handle (the SDK's core). */
function useOnline(transport: ConfabChatTransport, chatId: string): string[] {
  const handle = transport.client.conversation(chatId);
  const [online, setOnline] = useState(() => handle.presence().map((u) => u.name));
  useEffect(() => handle.on("presence", (list) => setOnline(list.map((u) => u.name))), [handle]);
  return online;
}

async function start(): Promise<void> {
  const transport = new ConfabChatTransport({
    url: location.origin,
    getToken: () => fetchDevToken(location.origin, "react-demo", "React demo"),
  });
  let chatId = localStorage.getItem(KEY);
  if (!chatId) {
    chatId = (await transport.client.createConversation({ agentId: DEMO_AGENT })).id;
    localStorage.setItem(KEY, chatId);
  }
  const initial = await transport.messages(chatId);
  createRoot(document.getElementById("root")!).render(
    <Chat transport={transport} chatId={chatId} initial={initial} />,
  );
}

void start();
