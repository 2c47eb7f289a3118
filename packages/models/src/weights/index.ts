export { parseSafetensors, serializeSafetensors, type SafetensorsDtype, type SafeTensor, type SafetensorsFile, type TensorToWrite } from './safetensors.js';
export { importTorchStateDict, convertTorchTensor, splitTorchKey, permute, type ImportTorchOptions, type ImportTorchReport } from './torch-import.js';
