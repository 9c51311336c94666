// esbuild bundles of the three functions for Node 20, as a Lambda deployment would ship them
// (one file each, dependencies included, minified): `node build.mjs` writes dist/NAME.js.
import { build } from "esbuild";

for (const name of ["define", "create", "verify"]) {
  await build({
    entryPoints: [`src/${name}.mjs`],
    outfile: `dist/${name}.js`,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    logLevel: "warning",
  });
}
