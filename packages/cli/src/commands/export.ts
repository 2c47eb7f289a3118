import type { Command } from 'commander';
import { saveModelFiles, saveOnnx, type WeightQuantization } from './deploy.js';
import { UsageError } from '../errors.js';
import type { RegisterCommand } from '../program.js';
import { loadModelDir, parseIntOption, userPath } from './common.js';

const QUANTIZATIONS: readonly WeightQuantization[] = ['float16', 'uint8'];

interface ExportFlags {
  onnx?: string;
  quantize?: string;
  out?: string;
  opset?: string;
  int8?: boolean;
}

/**
 * `cnn export MODEL_DIR (--onnx FILE | --quantize float16|uint8 --out DIR)`: writes the model as one ONNX file
 * (@cnn/deploy's `saveOnnx`; `--opset`, `--int8` weights) or as a TF.js model folder with quantised weights
 * (`saveModelFiles` with `quantization`; the metadata — normalisation, class names — is kept). Both write
 * atomically. Exactly one of `--onnx` / `--quantize` (usage error otherwise, exit 2); `--quantize` needs `--out`,
 * which must differ from MODEL_DIR.
 */
export const registerExport: RegisterCommand = (program: Command) => {
  program
    .command('export')
    .description('export a model folder: as ONNX (--onnx FILE) or with quantised weights (--quantize float16|uint8 --out DIR)')
    .argument('<MODEL_DIR>', 'model folder holding model.json (e.g. runs/…/model)')
    .option('--onnx <file>', 'write an ONNX model file')
    .option('--opset <n>', 'ONNX opset, >= 13 (with --onnx; default 13)')
    .option('--int8', 'ONNX weights as int8 with DequantizeLinear (with --onnx)')
    .option('--quantize <dtype>', 'store the weights as float16 or uint8 (with --out)')
    .option('-o, --out <dir>', 'output model folder (with --quantize)')
    .addHelpText('after', '\nExamples:\n  cnn export runs/my-run/model --onnx model.onnx\n  cnn export runs/my-run/model --quantize float16 --out model-f16')
    .action(async (modelDir: string, opts: ExportFlags) => {
      if ((opts.onnx === undefined) === (opts.quantize === undefined))
        throw new UsageError('give exactly one of --onnx FILE or --quantize float16|uint8 (with --out DIR)');
      if (opts.onnx !== undefined) {
        if (opts.out !== undefined) throw new UsageError('--out goes with --quantize; --onnx names the output file itself');
        const opset = opts.opset === undefined ? undefined : parseIntOption('--opset', opts.opset, 13);
        const model = await loadModelDir(modelDir);
        const file = userPath(opts.onnx);
        const bytes = await saveOnnx(model, file, { ...(opset === undefined ? {} : { opset }), ...(opts.int8 ? { weights: 'int8' as const } : {}) });
        process.stdout.write(`ONNX model written: ${file} (${bytes} bytes)\n`);
        return;
      }
      const q = opts.quantize as WeightQuantization;
      if (!QUANTIZATIONS.includes(q)) throw new UsageError(`--quantize must be one of ${QUANTIZATIONS.join(', ')}, got "${opts.quantize}"`);
      if (opts.opset !== undefined || opts.int8) throw new UsageError('--opset and --int8 go with --onnx');
      if (opts.out === undefined) throw new UsageError('--quantize needs --out DIR (the folder to write the quantised model to)');
      if (userPath(opts.out) === userPath(modelDir)) throw new UsageError(`--out ${userPath(opts.out)} is MODEL_DIR itself; choose another folder`);
      const model = await loadModelDir(modelDir);
      const saved = await saveModelFiles(model, userPath(opts.out), { quantization: q });
      process.stdout.write(`${q} model written: ${saved.dir} (${saved.weightBytes} weight bytes in ${saved.shards.length} file(s))\n`);
    });
};
