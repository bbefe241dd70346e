import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { cacheDir } from './cache.js';
import { IMAGENET_NAMES } from '../labels.js';
import { darknetRoot } from '../paths.js';

/** A pretrained classifier or detector pjreddie publishes for one of darknet's cfgs. */
export interface ModelInfo {
  /** The shorthand: `darknet classify tiny dog.jpg`, `loadNetwork('tiny')`. */
  name: string;
  description: string;
  /** The cfg, relative to darknet's source root (the package's copy). */
  cfg: string;
  /** Where pjreddie publishes the weights. */
  url: string;
  /** The names list the outputs use, relative to darknet's source root. */
  labels: string;
  /** Exact size in bytes, where we know it; otherwise the cfg's size check applies. */
  size?: number;
  /** sha256 of the weights, where we know it (users can supply one: --sha256). */
  sha256?: string;
  /** 'detect' for the YOLO detectors (`darknet detect <model>`); classifiers otherwise. */
  task?: 'classify' | 'detect';
}

const BASE = 'https://pjreddie.com/media/files/';

function imagenet(name: string, cfg: string, description: string, file = `${name}.weights`): ModelInfo {
  return { name, description, cfg: `cfg/${cfg}.cfg`, url: BASE + file, labels: IMAGENET_NAMES };
}

/**
 * A YOLO detector: labels as its .data file of cfg/ names them. Sizes follow
 * from the cfgs (20-byte header + 4 bytes a parameter; test/unit/models-detect
 * computes them with the loader); checksums unknown.
 */
function yolo(name: string, description: string, labels: string, size: number): ModelInfo {
  return { name, description, cfg: `cfg/${name}.cfg`, url: `${BASE}${name}.weights`, labels, size, task: 'detect' };
}

/** The catalogue: darknet's ImageNet classifiers and YOLO detectors. */
export const MODELS: readonly ModelInfo[] = Object.freeze([
  {
    ...imagenet('tiny', 'tiny', 'Tiny Darknet, 0.98 GFLOPs at 224x224'),
    size: 4185968,
    sha256: 'f1c3fe6b9bab9af69ae2a090682df3e5b9d83accba69551315f030ce1b37ea81',
  },
  imagenet('darknet', 'darknet', 'Darknet Reference'),
  imagenet('darknet19', 'darknet19', 'Darknet-19'),
  imagenet('darknet19_448', 'darknet19_448', 'Darknet-19 at 448x448'),
  imagenet('darknet53', 'darknet53', 'Darknet-53'),
  imagenet('darknet53_448', 'darknet53_448', 'Darknet-53 at 448x448'),
  imagenet('resnet18', 'resnet18', 'ResNet-18'),
  imagenet('resnet34', 'resnet34', 'ResNet-34'),
  imagenet('resnet50', 'resnet50', 'ResNet-50'),
  imagenet('resnet101', 'resnet101', 'ResNet-101'),
  imagenet('resnet152', 'resnet152', 'ResNet-152'),
  imagenet('resnext50', 'resnext50', 'ResNeXt-50'),
  imagenet('densenet201', 'densenet201', 'DenseNet-201'),
  imagenet('extraction', 'extraction', 'Extraction (GoogLeNet-like)'),
  imagenet('alexnet', 'alexnet', 'AlexNet'),
  imagenet('vgg-16', 'vgg-16', 'VGG-16', 'vgg-16.weights'),
  yolo('yolov3-tiny', 'YOLOv3-tiny detector, COCO, 416x416', 'data/coco.names', 35434956),
  yolo('yolov3', 'YOLOv3 detector, COCO, 608x608', 'data/coco.names', 248007048),
  yolo('yolov3-spp', 'YOLOv3-SPP detector, COCO, 608x608', 'data/coco.names', 252209544),
  yolo('yolov2', 'YOLOv2 detector, COCO, 608x608', 'data/coco.names', 203934264),
  yolo('yolov2-tiny', 'YOLOv2-tiny detector, COCO, 416x416', 'data/coco.names', 44948600),
  yolo('yolov2-voc', 'YOLOv2 detector, VOC, 416x416', 'data/voc.names', 202704264),
  yolo('yolov2-tiny-voc', 'YOLOv2-tiny detector, VOC, 416x416', 'data/voc.names', 63471560),
  yolo('yolo9000', 'YOLO9000 detector, 9418 classes, 544x544', 'data/9k.names', 195230024),
]);

export function findModel(name: string): ModelInfo | undefined {
  return MODELS.find((model) => model.name === name);
}

/** The model's cfg in the package's darknet copy. */
export function modelCfg(model: ModelInfo): string {
  return join(darknetRoot, model.cfg);
}

/** The model's labels in the package's darknet copy. */
export function modelLabels(model: ModelInfo): string {
  return join(darknetRoot, model.labels);
}

/** Where the model's weights live once downloaded. */
export function modelWeights(model: ModelInfo): string {
  return join(cacheDir(), `${model.name}.weights`);
}

export function isDownloaded(model: ModelInfo): boolean {
  return existsSync(modelWeights(model));
}

/** The model an argument names, where it is a catalogue name and not a file (a cfg path wins). */
export function modelNamed(arg: string): ModelInfo | undefined {
  const model = findModel(arg);
  if (!model) return undefined;
  try {
    return statSync(arg).isFile() ? undefined : model;
  } catch {
    return model;
  }
}
