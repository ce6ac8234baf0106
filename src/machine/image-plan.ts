// Which loader an image takes, as QEMU decides: --bios FILE is a ROM; an
// image with a Linux boot-protocol header is a bzImage (its command line is
// the --append text alone, and it may have an initrd); anything else must be
// Multiboot (its command line is "IMAGE APPEND").

import { detectImage, ImageError, loadBios, loadMultiboot, type LoadPlan } from './loaders.js';
import { loadLinux } from './linux-loader.js';

export interface ImageInputs {
  bios: boolean;
  ram: number;
  append: string;
  /** The image path as given (the Multiboot command line starts with it). */
  imageArg: string;
  /** The --initrd file's bytes, for a Linux kernel. */
  initrd?: Uint8Array;
}

export function planImage(bytes: Uint8Array, o: ImageInputs): LoadPlan {
  if (o.bios) return loadBios(bytes);
  if (detectImage(bytes).kind === 'linux') return loadLinux(bytes, o.ram, o.append, o.initrd);
  if (o.initrd) throw new ImageError('--initrd is for Linux kernels (bzImage); vmrr does not load Multiboot modules');
  return loadMultiboot(bytes, o.ram, `${o.imageArg} ${o.append}`);
}
