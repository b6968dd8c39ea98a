#!/usr/bin/python3
"""Export a torchvision ResNet's weights to ringtail's weights file (.rtw).

The C++ models of ringtail-pets use torchvision's parameter names, so the
exported file loads into them by name (examples/pets/include/ringtail/pets/
weights_file.h documents the format). Runs with Debian's python3-torchvision:
    apt-get install python3-torchvision
    /usr/bin/python3 examples/pets/tools/export_torchvision.py --arch resnet18 \
        --state-dict resnet18-f37072fd.pth --out resnet18-imagenet.rtw
then: ringtail-pets train --pretrained resnet18-imagenet.rtw ... (the 1000-class
head is replaced by a fresh 37-class one).

Sources of weights, one of:
  --state-dict FILE  a torchvision checkpoint (torch.save of a state_dict)
  --pretrained       torchvision's published weights (downloads; needs internet)
  --random           a randomly initialized model (default), seeded by --seed

--check FILE also writes a seeded random input batch and the model's logits for
it (eval mode) as arrays "input" and "logits": ringtail's tests load both and
compare against the C++ model.
"""

import argparse
import os
import struct
import sys
import zlib

MAGIC = b"RTWEIGHT"
VERSION = 1


def _dtype_codes():
    import torch
    return {torch.float32: 0, torch.float64: 1, torch.float16: 2, torch.bfloat16: 3,
            torch.int64: 4, torch.int32: 5, torch.uint8: 6, torch.int8: 7}


def tensor_bytes(tensor):
    import torch
    t = tensor.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: same bits as int16
        t = t.view(torch.int16)
    if sys.byteorder != "little":
        raise SystemExit("export_torchvision.py: the format is little-endian; run it on a little-endian machine")
    return t.numpy().tobytes()


def write_rtw(path, named_tensors):
    """Writes [(name, tensor)] to `path` atomically (temporary file, then rename)."""
    codes = _dtype_codes()
    parts = [MAGIC, struct.pack("<II", VERSION, len(named_tensors))]
    for name, tensor in named_tensors:
        if tensor.dtype not in codes:
            raise SystemExit(f"export_torchvision.py: tensor {name} has unsupported dtype {tensor.dtype}")
        encoded = name.encode("utf-8")
        data = tensor_bytes(tensor)
        shape = list(tensor.shape)
        parts.append(struct.pack("<I", len(encoded)))
        parts.append(encoded)
        parts.append(struct.pack("<BBH", codes[tensor.dtype], len(shape), 0))
        parts.append(struct.pack(f"<{len(shape)}q", *shape))
        parts.append(struct.pack("<Q", len(data)))
        parts.append(data)
    body = b"".join(parts)
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(body)
        f.write(struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))
    os.replace(temporary, path)


def read_rtw(path):
    """Reads a weights file back as {name: (dtype_code, shape, bytes)}; checks the checksum."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ValueError(f"{path}: not a ringtail weights file")
    body, (crc,) = blob[:-4], struct.unpack("<I", blob[-4:])
    if zlib.crc32(body) & 0xFFFFFFFF != crc:
        raise ValueError(f"{path}: checksum mismatch")
    version, count = struct.unpack_from("<II", body, 8)
    if version != VERSION:
        raise ValueError(f"{path}: format version {version}")
    pos, arrays = 16, {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<I", body, pos)
        pos += 4
        name = body[pos:pos + name_len].decode("utf-8")
        pos += name_len
        code, ndim, _ = struct.unpack_from("<BBH", body, pos)
        pos += 4
        shape = list(struct.unpack_from(f"<{ndim}q", body, pos))
        pos += 8 * ndim
        (nbytes,) = struct.unpack_from("<Q", body, pos)
        pos += 8
        arrays[name] = (code, shape, body[pos:pos + nbytes])
        pos += nbytes
    return arrays


def randomize_batch_norm(model, generator):
    """Random BN statistics and affine parameters, so an equivalence check
    exercises them (fresh BN layers are the identity in eval mode)."""
    import torch
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=generator)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True, choices=["resnet18", "resnet34", "resnet50"])
    parser.add_argument("--out", required=True, help="weights file to write (.rtw)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--state-dict", help="torchvision checkpoint to export")
    source.add_argument("--pretrained", action="store_true", help="torchvision's published weights (downloads)")
    source.add_argument("--random", action="store_true", help="random initialization (the default)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --random, --randomize-bn and --check")
    parser.add_argument("--num-classes", type=int, default=1000, help="classifier outputs (random models)")
    parser.add_argument("--randomize-bn", action="store_true", help="random BatchNorm statistics and affine terms")
    parser.add_argument("--check", help="also write an input batch and its logits to this file")
    parser.add_argument("--batch", type=int, default=2, help="input batch size for --check")
    parser.add_argument("--image-size", type=int, default=64, help="input height and width for --check")
    args = parser.parse_args()

    try:
        import torch
        import torchvision
    except ImportError as error:
        raise SystemExit(f"export_torchvision.py: {error}; install python3-torchvision "
                         "(and run Debian's /usr/bin/python3)")

    torch.manual_seed(args.seed)
    constructor = getattr(torchvision.models, args.arch)
    if args.pretrained:
        model = constructor(weights="DEFAULT")
    elif args.state_dict:
        model = constructor()
        model.load_state_dict(torch.load(args.state_dict, map_location="cpu"))
    else:
        model = constructor(num_classes=args.num_classes)
    generator = torch.Generator().manual_seed(args.seed + 1)
    if args.randomize_bn:
        randomize_batch_norm(model, generator)
    model.eval()

    state = list(model.state_dict().items())
    write_rtw(args.out, state)
    if len(read_rtw(args.out)) != len(state):
        raise SystemExit(f"export_torchvision.py: {args.out} does not read back")
    print(f"wrote {len(state)} tensors of {args.arch} to {args.out}")

    if args.check:
        images = torch.randn(args.batch, 3, args.image_size, args.image_size, generator=generator)
        with torch.no_grad():
            logits = model(images)
        write_rtw(args.check, [("input", images), ("logits", logits)])
        print(f"wrote input {list(images.shape)} and logits {list(logits.shape)} to {args.check}")


if __name__ == "__main__":
    main()
