import { parseArgs } from "node:util";
import { ensureDevSecret } from "../auth/dev-secret.js";
import { TokenSigner } from "../auth/token-signer.js";
import { loadConfig } from "../config.js";

/**
 * `npm run token -- <sub> [--admin] [--name N] [--email E] [--ttl SECONDS]`: prints a token signed
 * with the configured key: JWT_SECRET, the development secret kept in DATA_DIR, or, where the server
 * verifies with JWT_PUBLIC_KEY, the matching JWT_PRIVATE_KEY.
 */
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    admin: { type: "boolean", default: false },
    name: { type: "string" },
    email: { type: "string" },
    ttl: { type: "string", default: "3600" },
  },
});
const sub = positionals[0];
if (!sub) {
  process.stderr.write(
    "usage: npm run token -- <sub> [--admin] [--name NAME] [--email EMAIL] [--ttl SECONDS]\n",
  );
  process.exit(2);
}
const config = loadConfig();
let signer: TokenSigner;
if (config.jwt.publicKey) {
  const privateKey = process.env.JWT_PRIVATE_KEY?.replace(/\\n/g, "\n");
  if (!privateKey) {
    process.stderr.write("JWT_PUBLIC_KEY is set: give the matching JWT_PRIVATE_KEY to sign a token\n");
    process.exit(2);
  }
  const algorithm =
    privateKey.includes("EC PRIVATE") || process.env.JWT_ALGORITHM === "ES256" ? "ES256" : "RS256";
  signer = new TokenSigner(privateKey, algorithm, config.jwt);
} else {
  const secret = config.jwt.secret ?? (await ensureDevSecret(config.dataDir));
  signer = new TokenSigner(secret, "HS256", config.jwt);
}
process.stdout.write(
  `${signer.mint({
    sub,
    role: values.admin ? "admin" : "user",
    name: values.name,
    email: values.email,
    expiresInSeconds: Number(values.ttl),
  })}\n`,
);
