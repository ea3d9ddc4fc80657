// Test-only helpers: a message layer over a temp volume, fixtures, and section bytes.
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VolumeLayout } from '../../core/volume.ts';
import { createMessageLayer } from './index.ts';
import type { MessageLayerOptions } from './index.ts';
import type { MessageLayer, MessageMeta, SectionData } from './api.ts';
import type { Section } from '../proto/fetch-types.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface TestVolume {
  readonly root: string;
  readonly layout: VolumeLayout;
  readonly layer: MessageLayer;
  /** Writes a message file (CRLF as given) and returns its path. */
  write(name: string, data: Buffer | string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function testVolume(opts: MessageLayerOptions = {}): Promise<TestVolume> {
  const root = await mkdtemp(join(tmpdir(), 'tandem-imap-message-'));
  const layout = new VolumeLayout(root);
  const layer = createMessageLayer(layout, opts);
  return {
    root, layout, layer,
    async write(name, data) {
      const path = join(root, name);
      await writeFile(path, data);
      return path;
    },
    async cleanup() {
      await layer.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** `a\nb` with CRLF line ends. */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

export function fixture(name: string): Promise<Buffer> {
  return readFile(join(FIXTURES, name));
}

/** The bytes a SectionData stands for. */
export function sectionBytes(file: Buffer, data: SectionData | null): Buffer | null {
  if (data === null) return null;
  if (data.kind === 'empty') return Buffer.alloc(0);
  if (data.kind === 'bytes') return data.data;
  return file.subarray(data.start, data.end);
}

export function sec(part: number[], text: Section['text'] = null, fields: string[] = []): Section {
  return { part, text, fields };
}

export async function sectionText(layer: MessageLayer, path: string, meta: MessageMeta, s: Section): Promise<string> {
  const file = await readFile(path);
  return sectionBytes(file, await layer.section(path, meta, s))!.toString('latin1');
}
