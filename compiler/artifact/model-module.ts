import { VariableDeclarationKind, type SourceFile } from 'ts-morph';
import { docText, type ModelSignature } from './model-signature.js';
import { inMemoryProject } from './ts-project.js';

/*
 * model.js of a compiled artifact: an ES module importing only ./runtime.js (which imports its
 * sibling runtime files, Node built-ins and, in Node only, the `webgpu` package). It exports the
 * model's metadata and `load(options)`; model.d.ts (model-declarations.ts) types it.
 * Built with ts-morph like the declarations, so both come from one ModelSignature.
 */

function exportConst(sf: SourceFile, name: string, initializer: string, doc: string): void {
  sf.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name, initializer }],
    docs: [doc],
  });
}

/** The text of model.js for a compiled model. */
export function renderModelModule(sig: ModelSignature): string {
  const sf = inMemoryProject().createSourceFile('model.js', '');
  sf.addImportDeclaration({ moduleSpecifier: './runtime.js', namedImports: ['loadArtifact'] });
  sf.addFunction({
    name: 'frozen',
    parameters: [{ name: 'value' }],
    docs: ['Freezes plain data deeply, so callers cannot edit the metadata the model runs by.'],
    statements: [`if (value !== null && typeof value === 'object') Object.values(value).forEach(frozen);`, `return Object.freeze(value);`],
  });
  exportConst(sf, 'name', JSON.stringify(sig.name), "The model's name.");
  exportConst(sf, 'batch', String(sig.batch), 'The batch size the kernels were compiled for: every shape is fixed.');
  exportConst(sf, 'inputs', `frozen(${JSON.stringify(sig.inputs)})`, 'The tensors `run` takes: name, dtype, shape.');
  exportConst(sf, 'outputs', `frozen(${JSON.stringify(sig.outputs)})`, 'The tensors `run` returns: name, dtype, shape.');
  sf.addFunction({
    name: 'load',
    isExported: true,
    isAsync: true,
    parameters: [{ name: 'options', initializer: '{}' }],
    docs: [
      {
        description:
          "Loads the model from this module's folder (Node: a file: URL, through the `webgpu` package; browser: the URL it was served from, through navigator.gpu), checks the files' hashes, uploads the weights and creates the pipelines.",
        tags: [
          { tagName: 'param', text: "{import('./model.js').LoadOptions} [options]" },
          { tagName: 'returns', text: "{Promise<import('./model.js').Model>}" },
        ],
      },
    ],
    statements: [
      `const artifact = await loadArtifact(new URL('./', import.meta.url), options);`,
      `return Object.freeze({`,
      `  name,`,
      `  batch,`,
      `  inputs,`,
      `  outputs,`,
      `  adapter: artifact.info.adapter,`,
      `  run: (feeds) => artifact.run(feeds),`,
      `  destroy: () => artifact.destroy(),`,
      `});`,
    ],
  });
  // Added last: ts-morph keeps import declarations above other statements.
  sf.insertStatements(0, `// ${docText(sig.name)}: compiled by vitc ${sig.vitcVersion} for WebGPU (batch ${sig.batch}). Generated; do not edit.`);
  return sf.getFullText();
}
