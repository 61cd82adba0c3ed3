#!/usr/bin/env python3
"""Runs the CUDA builds that tests/bench/gpu-pack.ts packed, on a machine with an NVIDIA GPU.

A developer's check, not a test (CI has no GPU). Per packed model it:
  1. builds run_model and libvitc_model.so with nvcc (all models in parallel);
  2. runs run_model on the packed input and compares every output with onnxruntime-node's;
  3. times it host to host (input copied in, outputs copied out) over --repeats inferences;
  4. with --profile, loads libvitc_model.so through ctypes and reads each kernel's GPU time from
     torch.profiler (CUPTI sees every kernel in the process, ours included);
  5. with --sanitize M1,M2, runs compute-sanitizer's memcheck and racecheck on those models.
For vit_ti16 it also rebuilds the same model in PyTorch (tests/fixtures/make_bench_models.py, same
seed), checks that it gives the same logits, and times PyTorch eager (and torch.compile) the same way.

    python3 tests/bench/gpu_check.py .gpu/cuda [--arch sm_90] [--repeats 200] [--profile] [--sanitize M1,M2] [--torch]
"""

import argparse
import concurrent.futures
import ctypes
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DTYPES = {"f32": np.float32, "i32": np.int32, "u32": np.uint32}


def build(folder, arch):
    start = time.time()
    r = subprocess.run(["make", "-s", f"ARCH={arch}", "all"], cwd=folder, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()[-2000:], time.time() - start


def compare(check, folder, prefix):
    worst = []
    for i, out in enumerate(check["outputs"]):
        want = np.fromfile(os.path.join(folder, out["file"]), dtype=DTYPES[out["dtype"]])
        got = np.fromfile(os.path.join(folder, f"{prefix}{i}.bin"), dtype=DTYPES[out["dtype"]])
        if got.shape != want.shape:
            return float("inf"), 0.0, f"{out['name']}: {got.size} elements, want {want.size}"
        if out["dtype"] != "f32":
            bad = int(np.count_nonzero(got != want))
            worst.append((float(bad), 0.0))
            continue
        err = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
        worst.append((err, float(np.max(np.abs(want))) if want.size else 0.0))
    err = max(w[0] for w in worst)
    scale = max(w[1] for w in worst)
    return err, scale, None


def run_model(check, folder, repeats, prefix="got"):
    # run_model runs in the folder: file names relative to it.
    ins = [x["file"] for x in check["inputs"]]
    outs = [f"{prefix}{i}.bin" for i in range(len(check["outputs"]))]
    args = ["./run_model", "weights.bin", *ins, *outs] + ([str(repeats)] if repeats else [])
    r = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None, (r.stdout + r.stderr).strip().splitlines()[-1:] or ["exit %d" % r.returncode]
    m = re.search(r"([0-9.]+) ms per inference", r.stdout)
    return (float(m.group(1)) if m else None), None


def load_library(folder, check):
    lib = ctypes.CDLL(os.path.join(folder, "libvitc_model.so"))
    lib.vitc_model_create.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.vitc_model_run.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * (len(check["inputs"]) + len(check["outputs"]))
    lib.vitc_model_destroy.argtypes = [ctypes.c_void_p]
    lib.vitc_last_error.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    if lib.vitc_model_create(os.path.join(folder, "weights.bin").encode(), ctypes.byref(handle)) != 0:
        raise RuntimeError(lib.vitc_last_error().decode())
    return lib, handle


def profile_kernels(folder, check, runs):
    """Per kernel: GPU time per inference (µs) from torch.profiler around vitc_model_run."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    lib, handle = load_library(folder, check)
    ins = [np.fromfile(os.path.join(folder, x["file"]), dtype=np.float32) for x in check["inputs"]]
    outs = [np.empty(int(np.prod(o["shape"])), dtype=DTYPES[o["dtype"]]) for o in check["outputs"]]
    ptrs = [a.ctypes.data for a in ins + outs]
    for _ in range(3):
        lib.vitc_model_run(handle, *ptrs)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(runs):
            if lib.vitc_model_run(handle, *ptrs) != 0:
                raise RuntimeError(lib.vitc_last_error().decode())
    totals = {}
    for e in prof.events():
        if e.device_type.name == "CUDA" and not e.name.startswith("Memcpy"):
            totals[e.name] = totals.get(e.name, 0.0) + e.device_time / runs
    lib.vitc_model_destroy(handle)
    return totals


def torch_vit_ti16(folder, check, repeats, compiled):
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
    import make_bench_models as mbm

    model = mbm.build(torch, mbm.MODELS["vit_ti16"]).cuda()
    x = torch.from_numpy(np.fromfile(os.path.join(folder, check["inputs"][0]["file"]), dtype=np.float32).reshape(check["inputs"][0]["shape"]))
    want = np.fromfile(os.path.join(folder, check["outputs"][0]["file"]), dtype=np.float32)
    variants = [("PyTorch eager fp32", model)]
    if compiled:
        variants.append(("PyTorch torch.compile fp32", torch.compile(model)))
    for label, fn in variants:
        with torch.no_grad():
            t0 = time.time()
            got = fn(x.cuda()).cpu().numpy().reshape(-1)
            first = time.time() - t0
            for _ in range(10):
                fn(x.cuda()).cpu()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(repeats):
                fn(x.cuda()).cpu()
            host = (time.perf_counter() - t0) * 1000 / repeats
            xd = x.cuda()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(repeats):
                fn(xd)
            end.record()
            torch.cuda.synchronize()
            device = start.elapsed_time(end) / repeats
        yield label, float(np.max(np.abs(got - want))), host, device, first


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--arch", default="sm_90")
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--sanitize", default="", help="comma-separated model folders to run compute-sanitizer on")
    p.add_argument("--torch", action="store_true")
    p.add_argument("--no-compile", action="store_true")
    a = p.parse_args()

    names = sorted(d for d in os.listdir(a.root) if os.path.exists(os.path.join(a.root, d, "check.json")))
    checks = {n: json.load(open(os.path.join(a.root, n, "check.json"))) for n in names}
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        builds = dict(zip(names, pool.map(lambda n: build(os.path.join(a.root, n), a.arch), names)))
    print(f"built {len(names)} models for {a.arch} in {time.time() - t0:.1f} s", flush=True)

    print(f"\n| model | launches | max abs error | max abs ref | ms/inference (host to host, mean of {a.repeats}) |")
    print("|---|---|---|---|---|")
    failures = 0
    for n in names:
        folder, check = os.path.join(a.root, n), checks[n]
        code, log, _ = builds[n]
        if code != 0:
            failures += 1
            print(f"| {n} | build failed: {log.splitlines()[-1] if log else code} | | | |", flush=True)
            continue
        _, err = run_model(check, folder, 0)
        if err:
            failures += 1
            print(f"| {n} | run failed: {err[0]} | | | |", flush=True)
            continue
        e, scale, why = compare(check, folder, "got")
        ok = why is None and e <= 1e-3 * max(1.0, scale)
        failures += 0 if ok else 1
        ms, _ = run_model(check, folder, a.repeats, prefix="rep")
        print(f"| {n} | {check['launches']} | {why or f'{e:.2e}'}{'' if ok else ' MISMATCH'} | {scale:.3g} | {ms if ms is not None else '?'} |", flush=True)

    if a.torch and "vit_ti16" in checks:
        folder = os.path.join(a.root, "vit_ti16")
        print("\n| vit_ti16 runtime | max abs diff to onnxruntime | ms/inference host to host | ms/inference device | first call s |")
        print("|---|---|---|---|---|")
        ms, _ = run_model(checks["vit_ti16"], folder, a.repeats, prefix="rep")
        print(f"| vitc CUDA | (above) | {ms} | | |", flush=True)
        try:
            for label, diff, host, device, first in torch_vit_ti16(folder, checks["vit_ti16"], a.repeats, not a.no_compile):
                print(f"| {label} | {diff:.2e} | {host:.4f} | {device:.4f} | {first:.1f} |", flush=True)
        except Exception as e:  # report and go on: the other checks still matter
            print(f"| PyTorch | failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} | | | |", flush=True)

    if a.profile:
        for n in [n for n in names if builds[n][0] == 0 and (n.startswith("vit_ti16") or n.startswith("efficientvit_m0"))]:
            try:
                totals = profile_kernels(os.path.join(a.root, n), checks[n], 50)
            except Exception as e:
                print(f"\n{n}: profiling failed: {type(e).__name__}: {e}", flush=True)
                continue
            total = sum(totals.values())
            print(f"\n{n}: GPU kernel time {total:.1f} µs per inference, {len(totals)} distinct kernels")
            print("| kernel | µs per inference | share |\n|---|---|---|")
            for k, us in sorted(totals.items(), key=lambda kv: -kv[1])[:15]:
                print(f"| {k[:60]} | {us:.1f} | {us / total:.0%} |")

    if a.sanitize:
        print("\n| model | memcheck | racecheck |\n|---|---|---|")
        for n in [n for n in a.sanitize.split(",") if n in builds and builds[n][0] == 0]:
            folder, check = os.path.join(a.root, n), checks[n]
            ins = [x["file"] for x in check["inputs"]]
            outs = [f"san{i}.bin" for i in range(len(check["outputs"]))]
            cells = []
            for tool in ("memcheck", "racecheck"):
                try:
                    r = subprocess.run(["compute-sanitizer", "--tool", tool, "--error-exitcode", "3", "./run_model", "weights.bin", *ins, *outs],
                                       cwd=folder, capture_output=True, text=True, timeout=240)
                    summary = [l for l in (r.stdout + r.stderr).splitlines() if "ERROR SUMMARY" in l or "RACECHECK SUMMARY" in l]
                    cells.append(f"exit {r.returncode}: {summary[-1].replace('========= ', '') if summary else '(no summary)'}")
                    failures += 0 if r.returncode == 0 else 1
                except subprocess.TimeoutExpired:
                    cells.append("timed out (240 s)")
            print(f"| {n} | {cells[0]} | {cells[1]} |", flush=True)

    print(f"\n{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
