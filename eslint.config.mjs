// eslint (typescript-eslint's recommended rules) on everything we write; prettier owns the layout
// (eslint-config-prettier turns off the rules that would fight it).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "dist/", ".lab/", ".cache/", ".pulumi-state/", ".pulumi-home/", ".tmp/", "reports/", ".stryker-tmp/", "**/*.d.ts"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    prettier,
    {
        languageOptions: { ecmaVersion: 2022, sourceType: "module" },
        rules: {
            // Pulumi hands dynamic providers untyped property bags; `any` at those edges is deliberate.
            "@typescript-eslint/no-explicit-any": "off",
            // require() inside provider methods is how a serialized provider loads modules lazily.
            "@typescript-eslint/no-require-imports": "off",
            // `{}` is how a kind says "no host-computed outputs" (an intersection identity), on purpose.
            "@typescript-eslint/no-empty-object-type": ["error", { allowObjectTypes: "always" }],
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
        },
    },
    {
        files: ["**/*.js", "**/*.cjs"],
        languageOptions: {
            sourceType: "commonjs",
            globals: {
                require: "readonly",
                module: "writable",
                exports: "writable",
                process: "readonly",
                __dirname: "readonly",
                console: "readonly",
                Buffer: "readonly",
                URL: "readonly",
                setTimeout: "readonly",
                setImmediate: "readonly",
            },
        },
    },
);
