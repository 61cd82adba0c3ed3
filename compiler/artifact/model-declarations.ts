import { VariableDeclarationKind, type SourceFile } from 'ts-morph';
import {
  INPUT_ARRAY_TYPES,
  OUTPUT_ARRAY_TYPES,
  describeTensor,
  docText,
  propertyKey,
  type ModelSignature,
  type TensorSignature,
} from './model-signature.js';
import { inMemoryProject } from './ts-project.js';

/*
 * model.d.ts of a compiled artifact, built as a syntax tree with ts-morph: the inputs and outputs
 * typed by name, their shapes as readonly tuple types. Self-contained: a consumer type-checks it
 * with `--strict` and no other declarations (GPUDevice is used only when @webgpu/types is loaded).
 */

function tupleType(shape: readonly number[]): string {
  return `readonly [${shape.join(', ')}]`;
}

function tensorInfoType(t: TensorSignature): string {
  return `TensorInfo<${JSON.stringify(t.name)}, ${JSON.stringify(t.dtype)}, ${tupleType(t.shape)}>`;
}

function addTensorInterface(sf: SourceFile, name: string, doc: string, tensors: readonly TensorSignature[], arrayTypes: Readonly<Record<string, string>>): void {
  sf.addInterface({
    name,
    isExported: true,
    docs: [doc],
    properties: tensors.map((t) => ({
      name: propertyKey(t.name),
      type: arrayTypes[t.dtype]!,
      isReadonly: true,
      docs: [docText(describeTensor(t))],
    })),
  });
}

function declareConst(sf: SourceFile, name: string, type: string, doc: string): void {
  sf.addVariableStatement({
    isExported: true,
    hasDeclareKeyword: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name, type }],
    docs: [doc],
  });
}

/** The text of model.d.ts for a compiled model. */
export function renderModelDeclarations(sig: ModelSignature): string {
  const sf = inMemoryProject().createSourceFile('model.d.ts', '');
  sf.addStatements(`// ${docText(sig.name)}: compiled by vitc ${sig.vitcVersion} for WebGPU (batch ${sig.batch}). Generated; do not edit.`);

  sf.addInterface({
    name: 'TensorInfo',
    isExported: true,
    docs: ['Name, element type and fixed shape of one tensor the model takes or returns.'],
    typeParameters: [
      { name: 'Name', constraint: 'string' },
      { name: 'DType', constraint: 'string' },
      { name: 'Shape', constraint: 'readonly number[]' },
    ],
    properties: [
      { name: 'name', type: 'Name', isReadonly: true },
      { name: 'dtype', type: 'DType', isReadonly: true },
      { name: 'shape', type: 'Shape', isReadonly: true },
    ],
  });
  declareConst(sf, 'name', JSON.stringify(sig.name), "The model's name.");
  declareConst(sf, 'batch', String(sig.batch), 'The batch size the kernels were compiled for: every shape is fixed.');
  declareConst(sf, 'inputs', `readonly [${sig.inputs.map(tensorInfoType).join(', ')}]`, 'The tensors `run` takes.');
  declareConst(sf, 'outputs', `readonly [${sig.outputs.map(tensorInfoType).join(', ')}]`, 'The tensors `run` returns.');
  addTensorInterface(sf, 'ModelInputs', 'The input tensors of one `run`, by name.', sig.inputs, INPUT_ARRAY_TYPES);
  addTensorInterface(sf, 'ModelOutputs', 'The output tensors of one `run`, by name.', sig.outputs, OUTPUT_ARRAY_TYPES);

  sf.addTypeAlias({
    name: 'AdapterChoice',
    isExported: true,
    type: `'auto' | 'llvmpipe' | 'swiftshader' | (string & {})`,
    docs: ["Node: 'auto' (a real GPU, else llvmpipe, else SwiftShader), a CPU adapter, or part of an adapter's name."],
  });
  sf.addTypeAlias({
    name: 'GPUDeviceLike',
    isExported: true,
    type: 'typeof globalThis extends { GPUDevice: { prototype: infer D } } ? D : object',
    docs: ['`GPUDevice` where WebGPU types are loaded (DOM or @webgpu/types), else any object.'],
  });
  sf.addInterface({
    name: 'LoadOptions',
    isExported: true,
    properties: [
      { name: 'adapter', hasQuestionToken: true, isReadonly: true, type: 'AdapterChoice', docs: ["Node: which adapter (default 'auto', or the VITC_ADAPTER environment variable). Browser: checked against navigator.gpu's adapter."] },
      { name: 'device', hasQuestionToken: true, isReadonly: true, type: 'GPUDeviceLike', docs: ['Run on this device instead of acquiring one; `destroy()` then leaves it alone.'] },
      { name: 'webgpu', hasQuestionToken: true, isReadonly: true, type: '{ create(options: string[]): unknown }', docs: ["Node: the `webgpu` package, when it cannot be imported from the model's folder."] },
      { name: 'verify', hasQuestionToken: true, isReadonly: true, type: 'boolean', docs: ["Check every file's sha-256 against manifest.json (default true)."] },
    ],
  });
  sf.addInterface({
    name: 'AdapterInfo',
    isExported: true,
    docs: ['The WebGPU adapter a loaded model runs on.'],
    properties: [
      { name: 'name', type: 'string', isReadonly: true, docs: ['Short name: "SwiftShader", "llvmpipe", or the driver\'s description.'] },
      { name: 'vendor', type: 'string', isReadonly: true },
      { name: 'architecture', type: 'string', isReadonly: true },
      { name: 'device', type: 'string', isReadonly: true },
      { name: 'description', type: 'string', isReadonly: true },
      { name: 'backend', type: 'string', isReadonly: true, docs: ["How it was reached: 'vulkan', 'opengl', ... ('browser' for navigator.gpu)."] },
      { name: 'features', type: 'readonly string[]', isReadonly: true },
      { name: 'limits', type: 'Readonly<Record<string, number>>', isReadonly: true },
    ],
  });
  sf.addInterface({
    name: 'Model',
    isExported: true,
    docs: ['A loaded model: weights uploaded and pipelines created, ready to run.'],
    properties: [
      { name: 'name', type: 'typeof name', isReadonly: true },
      { name: 'batch', type: 'typeof batch', isReadonly: true },
      { name: 'inputs', type: 'typeof inputs', isReadonly: true },
      { name: 'outputs', type: 'typeof outputs', isReadonly: true },
      { name: 'adapter', type: 'AdapterInfo | undefined', isReadonly: true, docs: ['Undefined when `options.device` was given.'] },
    ],
    methods: [
      { name: 'run', parameters: [{ name: 'inputs', type: 'ModelInputs' }], returnType: 'Promise<ModelOutputs>', docs: ['One inference: writes the inputs, runs every kernel in one command encoder, reads the outputs back. Calls are serialised.'] },
      { name: 'destroy', returnType: 'void', docs: ["Frees the model's GPU buffers, and its device unless `options.device` was given."] },
    ],
  });
  sf.addFunction({
    name: 'load',
    isExported: true,
    hasDeclareKeyword: true,
    parameters: [{ name: 'options', hasQuestionToken: true, type: 'LoadOptions' }],
    returnType: 'Promise<Model>',
    docs: [
      "Loads the model from this module's folder (Node: through the `webgpu` package; browser: navigator.gpu), checks the files' hashes, uploads the weights and creates the pipelines.",
    ],
  });
  return sf.getFullText();
}
