import { expect } from "chai";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c).to.deep.include({
      port: 3000,
      host: "0.0.0.0",
      dataDir: "./data",
      streamFlushMs: 30,
      logLevel: "info",
    });
    expect(c.rateLimits).to.deep.equal({
      messagesPerMinute: 30,
      connectionsPerMinute: 120,
      requestsPerMinute: 600,
      uploadsPerMinute: 20,
      socketEventsPerSecond: 30,
    });
    expect(c.files).to.deep.equal({
      maxBytes: 10 * 1024 * 1024,
      urlSecret: undefined,
      unsentTtlSeconds: 86_400,
    });
    expect(c.databaseUrl).to.equal(undefined);
  });

  it("treats an empty variable as unset", () => {
    const c = loadConfig({ PORT: "", DATABASE_URL: "  ", JWT_SECRET: "" });
    expect(c.port).to.equal(3000);
    expect(c.databaseUrl).to.equal(undefined);
    expect(c.jwt.secret).to.equal(undefined);
  });

  it("reports every bad variable in one message", () => {
    try {
      loadConfig({ PORT: "eighty", DATABASE_URL: "not a url", JWT_SECRET: "short", STREAM_FLUSH_MS: "-1" });
      expect.fail("loadConfig accepted bad values");
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const message = (err as Error).message;
      for (const name of ["PORT", "DATABASE_URL", "JWT_SECRET", "STREAM_FLUSH_MS"])
        expect(message).to.include(name);
      expect((err as ConfigError).problems).to.have.length(4);
    }
  });

  it("refuses to start in production without a key, naming JWT_SECRET", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).to.throw(ConfigError, /JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32) }).isProduction).to.equal(true);
  });

  it("splits CORS_ORIGINS and returns a frozen object", () => {
    const c = loadConfig({ CORS_ORIGINS: "https://a.example, https://b.example" });
    expect(c.corsOrigins).to.deep.equal(["https://a.example", "https://b.example"]);
    expect(Object.isFrozen(c) && Object.isFrozen(c.jwt)).to.equal(true);
  });
});
