#!/usr/bin/python3
"""Writes a model directory for the serving load test (docs/serving.md has the
contract): a randomly initialized torchvision ResNet-18 with 37 outputs,
traced to TorchScript as model.pt, with model.json, and a test JPEG.

Runs with Debian's python3-torch and python3-torchvision (/usr/bin/python3):
    /usr/bin/python3 benchmarks/serve/make_model.py --out DIR [--size 224]
"""

import argparse
import json
import os

import torch
import torchvision
from torchvision.io import encode_jpeg

BREEDS = [
    "Abyssinian", "american_bulldog", "american_pit_bull_terrier", "basset_hound", "beagle",
    "Bengal", "Birman", "Bombay", "boxer", "British_Shorthair", "chihuahua", "Egyptian_Mau",
    "english_cocker_spaniel", "english_setter", "german_shorthaired", "great_pyrenees",
    "havanese", "japanese_chin", "keeshond", "leonberger", "Maine_Coon", "miniature_pinscher",
    "newfoundland", "Persian", "pomeranian", "pug", "Ragdoll", "Russian_Blue", "saint_bernard",
    "samoyed", "scottish_terrier", "shiba_inu", "Siamese", "Sphynx", "staffordshire_bull_terrier",
    "wheaten_terrier", "yorkshire_terrier",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=224, help="input_size (crop)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    model = getattr(torchvision.models, args.arch)(num_classes=len(BREEDS)).eval()
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.randn(2, 3, args.size, args.size))
    traced.save(os.path.join(args.out, "model.pt"))
    config = {
        "format": "ringtail-pets/1",
        "model_file": "model.pt",
        "architecture": args.arch,
        "classes": BREEDS,
        "input_size": args.size,
        "resize_size": round(args.size / 0.875),
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "info": {"weights": "random (load test)", "seed": args.seed},
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")

    # A 500 x 375 picture (the typical Oxford-IIIT Pet size): smooth gradients
    # and a disc, so the JPEG is photo-sized rather than noise-sized.
    y = torch.linspace(0, 1, 375).view(375, 1).expand(375, 500)
    x = torch.linspace(0, 1, 500).view(1, 500).expand(375, 500)
    disc = (((x - 0.45) ** 2 + (y - 0.5) ** 2) < 0.06).float()
    image = torch.stack([x * 200 + disc * 40, y * 180 + 30, (1 - x) * 150 + disc * 90])
    jpeg = encode_jpeg(image.clamp(0, 255).to(torch.uint8), quality=90)
    with open(os.path.join(args.out, "test.jpg"), "wb") as f:
        f.write(bytes(jpeg.numpy()))


if __name__ == "__main__":
    main()
