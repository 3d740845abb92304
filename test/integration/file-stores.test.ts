import { expect } from "chai";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { AppError } from "../../src/errors.js";
import type { FileStore } from "../../src/files/file-store.js";
import { PostgresFileStore } from "../../src/files/postgres-file-store.js";
import { S3FileStore } from "../../src/files/s3-file-store.js";
import { newConversation } from "../support/conversations.js";
import { uploadFile } from "../support/files.js";
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from "../support/s3-server.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { startTestServer } from "../support/test-server.js";

const MB = 1024 * 1024;

/**
 * `data` as an upload sends it: in small chunks, one per turn of the event loop; when `failAfter` is
 * set, the stream fails with `failWith` after that many bytes, as a cut connection or a limit does.
 */
function uploadBody(
  data: Buffer,
  options: { chunk?: number; failAfter?: number; failWith?: Error } = {},
): Readable {
  const chunk = options.chunk ?? 64 * 1024;
  let sent = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        if (options.failAfter !== undefined && sent >= options.failAfter) {
          this.destroy(options.failWith ?? new Error("the upload was cut"));
          return;
        }
        if (sent >= data.length) {
          this.push(null);
          return;
        }
        this.push(data.subarray(sent, sent + chunk));
        sent += chunk;
      });
    },
  });
}

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const sha256Of = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  expect.fail("expected the promise to reject");
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await rejection(promise);
  expect(err, String(err)).to.be.instanceOf(AppError);
  expect((err as AppError).code).to.equal(code);
}

interface OpenStore {
  store: FileStore;
  /** What the service does before a store sees a file (the PostgreSQL store's rows hang off it). */
  begin: (fileId: string) => Promise<void>;
  close: () => Promise<void>;
}

interface Backend {
  kind: string;
  open(): Promise<OpenStore>;
}

const postgresBackend: Backend = {
  kind: "postgres",
  async open() {
    const server = await startTestServer();
    const { repositories } = server.confab.db;
    const conversationId = await newConversation(server, "files-owner");
    return {
      store: new PostgresFileStore(repositories.fileChunks),
      begin: (id) => repositories.files.begin({ id, conversationId, uploadedBy: "files-owner", name: "f" }),
      close: () => server.close(),
    };
  },
};

const s3Backend: Backend = {
  kind: "s3 (s3rver)",
  async open() {
    const server = await startS3Server();
    const store = new S3FileStore({
      bucket: server.bucket,
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: S3RVER_CREDENTIALS,
    });
    return {
      store,
      begin: () => Promise.resolve(),
      async close() {
        store.close();
        await server.stop();
      },
    };
  },
};

for (const backend of [postgresBackend, s3Backend]) {
  describe(`file store: ${backend.kind}`, () => {
    let opened: OpenStore;
    let store: FileStore;
    /** A new file's id, as the service has it when the store is given the bytes. */
    const newFile = async () => {
      const id = randomUUID();
      await opened.begin(id);
      return id;
    };

    before(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    after(async () => opened.close());

    it("gives back the very bytes of a 10 MB file streamed in small chunks", async () => {
      const data = randomBytes(10 * MB);
      const id = await newFile();
      await store.put(id, uploadBody(data));
      expect(await sha256(await store.get(id))).to.equal(sha256Of(data));
    });

    it("keeps a file smaller than one chunk or part", async () => {
      const small = Buffer.from("hello, files\n");
      const id = await newFile();
      await store.put(id, uploadBody(small));
      expect(await sha256(await store.get(id))).to.equal(sha256Of(small));
    });

    it("takes a stream whatever else it carries (a byte count so far in `size`, as the inspector has)", async () => {
      const data = randomBytes(12 * MB);
      const id = await newFile();
      await store.put(id, Object.assign(uploadBody(data), { size: 65_536, length: 1 }));
      expect(await sha256(await store.get(id))).to.equal(sha256Of(data));
    });

    it("answers not_found for a file it never stored", async () => {
      await expectCode(store.get(randomUUID()), "not_found");
    });

    it("rejects with the body's error and keeps nothing when the upload is cut midway", async () => {
      for (const failAfter of [100 * 1024, 7 * MB]) {
        const id = await newFile();
        const err = await rejection(store.put(id, uploadBody(randomBytes(10 * MB), { failAfter })));
        expect((err as Error).message).to.equal("the upload was cut");
        await expectCode(store.get(id), "not_found");
      }
    });

    it("passes on an AppError the body fails with (an upload past the limit)", async () => {
      const tooLarge = new AppError("payload_too_large", "the file is larger than 10 MB");
      const body = uploadBody(randomBytes(MB), { failAfter: 512 * 1024, failWith: tooLarge });
      expect(await rejection(store.put(await newFile(), body))).to.equal(tooLarge);
    });

    it("deletes files, skipping ids it has nothing for", async () => {
      const data = randomBytes(1024);
      const [kept, gone1, gone2] = [await newFile(), await newFile(), await newFile()];
      for (const id of [kept, gone1, gone2]) await store.put(id, uploadBody(data));
      await store.delete([gone1, randomUUID(), gone2]);
      await expectCode(store.get(gone1), "not_found");
      await expectCode(store.get(gone2), "not_found");
      expect(await sha256(await store.get(kept))).to.equal(sha256Of(data));
      await store.delete([]);
      await store.delete([randomUUID()]);
    });
  });
}

describe("file store: s3 when the service cannot be reached", () => {
  let server: S3Server;
  let proxy: TcpProxy;
  let store: S3FileStore;

  before(async () => {
    server = await startS3Server();
    proxy = await TcpProxy.start("127.0.0.1", Number(new URL(server.endpoint).port));
    store = new S3FileStore({
      bucket: server.bucket,
      endpoint: proxy.urlThrough(server.endpoint),
      region: "us-east-1",
      credentials: S3RVER_CREDENTIALS,
      // Short, so that a frozen connection fails the test's requests within its time.
      timeoutMs: 2_000,
    });
  });
  after(async () => {
    store.close();
    await proxy.close();
    await server.stop();
  });
  // Restored after each test even when it failed.
  afterEach(() => proxy.restore());

  it("fails put, get and delete with unavailable while cut off, and has every byte when back", async () => {
    const data = randomBytes(6 * MB);
    const before = randomUUID();
    await store.put(before, uploadBody(data));

    proxy.cut();
    const during = randomUUID();
    await expectCode(store.put(during, uploadBody(randomBytes(6 * MB))), "unavailable");
    await expectCode(store.put(randomUUID(), uploadBody(Buffer.from("small"))), "unavailable");
    await expectCode(store.get(before), "unavailable");
    await expectCode(store.delete([before]), "unavailable");

    proxy.restore();
    expect(await sha256(await store.get(before))).to.equal(sha256Of(data));
    await expectCode(store.get(during), "not_found");
  });

  it("fails put and get with unavailable when the service stops answering, instead of hanging", async () => {
    const data = randomBytes(MB);
    const id = randomUUID();
    await store.put(id, uploadBody(data));

    proxy.freeze();
    try {
      await expectCode(store.get(id), "unavailable");
      await expectCode(store.put(randomUUID(), uploadBody(randomBytes(6 * MB))), "unavailable");
    } finally {
      proxy.thaw();
    }
    expect(await sha256(await store.get(id))).to.equal(sha256Of(data));
  });
});

describe("file store: s3 when the service answers 503 (overloaded, as S3 says SlowDown)", () => {
  let overloaded: Server;
  let store: S3FileStore;

  before(async () => {
    overloaded = createServer((req, res) => {
      req.resume();
      res.writeHead(503, { "content-type": "application/xml" });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => overloaded.listen(0, "127.0.0.1", resolve));
    store = new S3FileStore({
      bucket: "confab-test",
      endpoint: `http://127.0.0.1:${(overloaded.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: S3RVER_CREDENTIALS,
    });
  });
  after(async () => {
    store.close();
    await new Promise((resolve) => overloaded.close(resolve));
  });

  it("fails put, get and delete with unavailable", async () => {
    await expectCode(store.put(randomUUID(), uploadBody(Buffer.from("hello"))), "unavailable");
    await expectCode(store.put(randomUUID(), uploadBody(randomBytes(6 * MB))), "unavailable");
    await expectCode(store.get(randomUUID()), "unavailable");
    await expectCode(store.delete([randomUUID()]), "unavailable");
  });
});

describe("a server with FILE_STORE=s3", () => {
  const aws = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] as const;
  const saved = Object.fromEntries(aws.map((name) => [name, process.env[name]]));
  let s3: S3Server;

  before(async () => {
    s3 = await startS3Server();
    // The store is given no credentials: the SDK's own chain finds them in the standard variables.
    for (const name of aws) delete process.env[name];
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  });
  after(async () => {
    for (const name of aws) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await s3.stop();
  });

  it("keeps an upload (in parts: 6.75 MB) in the bucket and serves it from there", async () => {
    const server = await startTestServer({
      env: { FILE_STORE: "s3", S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint },
    });
    const bucket = new S3FileStore({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: "us-east-1",
      credentials: S3RVER_CREDENTIALS,
    });
    try {
      const token = server.token("s3-owner");
      const conversationId = await newConversation(server, "s3-owner");
      const text = Buffer.from("name,size\nreport.pdf,1024\n".repeat(250_000));
      const uploaded = await uploadFile(server.url, token, conversationId, text, "sizes.csv", "text/csv");
      expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(201);
      const fileId = uploaded.body.file!.id;

      expect(await sha256(await bucket.get(fileId))).to.equal(sha256Of(text));
      const served = await fetch(`${server.url}/api/v1/files/${fileId}/content`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(served.status).to.equal(200);
      expect(sha256Of(Buffer.from(await served.arrayBuffer()))).to.equal(sha256Of(text));
    } finally {
      bucket.close();
      await server.close();
    }
  });
});
