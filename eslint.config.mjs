// Lint rules: the recommended TypeScript set, plus a ban on stray console output in library code.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".azurite/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // ES modules run by Node: the examples a newcomer copies (examples/), and this file.
    files: ["**/*.mjs"],
    languageOptions: {
      sourceType: "module",
      globals: { process: "readonly", console: "readonly", URL: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", fetch: "readonly" },
    },
  },
  {
    files: ["shared/**/*.ts", "functions/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    // The portal runs in the browser: of the service's code it bundles only the pure domain (the
    // state machines' tables) and takes only types from the rest (the wire types of
    // shared/service/api/responses.ts). Its type check sees Node's types, which those modules need, so Node's
    // globals are refused here instead.
    files: ["portal/src/**/*.ts"],
    rules: {
      "no-restricted-globals": ["error", "Buffer", "process", "global", "require", "__dirname", "__filename", "setImmediate"],
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/shared/*/**", "!**/shared/domain/**", "node:*"], allowTypeImports: true, message: "the portal bundle takes only types from the service outside its pure domain" }] },
      ],
    },
  },
);
