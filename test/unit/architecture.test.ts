import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../support/server-process.js";

/** Every .ts file below a folder of the project, as a path relative to the project. */
function sources(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(PROJECT_ROOT, dir))) {
      const relative = path.join(dir, name);
      if (statSync(path.join(PROJECT_ROOT, relative)).isDirectory()) walk(relative);
      else if (name.endsWith(".ts")) found.push(relative);
    }
  };
  walk(folder);
  return found;
}

/** What a file imports: each module specifier, resolved to a project path when it is relative. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms)].map(
    (m) => m[1]!,
  );
  return specifiers.map((s) => (s.startsWith(".") ? path.join(path.dirname(file), s) : s));
}

function offending(files: string[], forbidden: (imported: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((imported) => `${file} imports ${imported}`),
  );
}

describe("the layering", () => {
  it("keeps src/protocol a leaf: it imports zod and itself only", () => {
    const files = sources("src/protocol");
    expect(files.length).to.be.greaterThan(3);
    expect(offending(files, (i) => i !== "zod" && !i.startsWith("src/protocol/"))).to.deep.equal([]);
  });

  it("has the client example import nothing of the server but src/protocol", () => {
    const files = sources("client-example");
    expect(files.length).to.be.greaterThan(2);
    expect(offending(files, (i) => i.startsWith("src/") && !i.startsWith("src/protocol/"))).to.deep.equal([]);
  });

  it("has no domain module import the realtime or HTTP layers", () => {
    const files = ["src/chat", "src/conversations", "src/providers", "src/db"].flatMap(sources);
    expect(offending(files, (i) => i.startsWith("src/realtime/") || i.startsWith("src/http/"))).to.deep.equal(
      [],
    );
  });

  it("lets only the database layer touch Sequelize and its models", () => {
    const outside = sources("src").filter((f) => !f.startsWith("src/db/"));
    expect(offending(outside, (i) => i === "sequelize" || i.startsWith("src/db/models/"))).to.deep.equal([]);
    // And inside it the repositories alone query (and the migrator, which runs the migrations).
    const queries =
      /sequelize\.(query|transaction)\(|\b(User|Agent|Conversation|Message)\.(findAll|findOne|findByPk|findAndCountAll|create|update|destroy|count|increment)\(/;
    const querying = sources("src")
      .filter((f) => !f.startsWith("src/db/repositories/") && f !== "src/db/migrator.ts")
      .filter((f) => queries.test(readFileSync(path.join(PROJECT_ROOT, f), "utf8")));
    expect(querying).to.deep.equal([]);
  });
});
