// The page's hyperparameters: defaults are the reference workload, ranges are the CLI's (src/cli/args.ts;
// it parses argv with node:util, so the browser cannot share its parser).
// Each field is parsed from its text and refused with a message saying what is allowed.
import type { LrScheduleKind } from '../train/lr-schedule.ts';

export interface Hyper {
  /** 'digits': classify MNIST digits read row by row; 'text': a character-level language model of a text
   *  (the CLI's --task text). Records saved before tasks have none: digits. */
  task?: 'digits' | 'text';
  /** Hidden sizes of the LSTM layers, bottom first (the CLI's --layers). */
  layers: number[];
  batch: number;
  lr: number;
  /** How long to train, in `unit`s. */
  length: number;
  unit: 'steps' | 'epochs';
  seed: number;
  /** Validation accuracy every this many steps. */
  validateEvery: number;
  /** Clip gradients to this global norm; 0 = off. */
  clipNorm: number;
  /** The learning rate per step (src/train/lr-schedule.ts; step: the CLI's defaults, a third and 0.1). */
  lrSchedule: LrScheduleKind;
  /** Steps of linear warmup; 0 = none. */
  warmup: number;
  /** Text: characters per training window (the CLI's --seq). */
  seq: number;
  /** Text: carry each batch row's state from window to window (the CLI's --stateful). */
  stateful?: boolean;
}

export const referenceHyper: Hyper = {
  task: 'digits', layers: [128], batch: 100, lr: 0.001, length: 1000, unit: 'steps', seed: 0, validateEvery: 100, clipNorm: 0, lrSchedule: 'constant', warmup: 0,
  seq: 100, stateful: false,
};

type NumericField = Exclude<keyof Hyper, 'unit' | 'lrSchedule' | 'task' | 'stateful'>;

interface FieldRule {
  label: string;
  parse(text: string, unit: Hyper['unit']): number | number[] | string;
}

function wholeNumber(min: number, max: number): FieldRule['parse'] {
  return (text) => {
    const t = text.trim();
    const n = Number(t);
    if (!/^[0-9]+$/.test(t) || n < min || n > max) return `a whole number from ${min} to ${max.toLocaleString('en-US')}`;
    return n;
  };
}

export const fieldRules: Record<NumericField, FieldRule> = {
  layers: {
    label: 'LSTM layers',
    parse: (text) => {
      const parts = text.split(',').map((p) => p.trim());
      const ok = parts.length >= 1 && parts.length <= 8 && parts.every((p) => /^[0-9]+$/.test(p) && Number(p) >= 1 && Number(p) <= 4096);
      return ok ? parts.map(Number) : 'hidden sizes bottom first, separated by commas: 1 to 8 layers of 1 to 4,096 units (e.g. 128 or 128,128)';
    },
  },
  batch: { label: 'Batch size', parse: wholeNumber(1, 65536) },
  lr: {
    label: 'Learning rate',
    parse: (text) => {
      const t = text.trim();
      const n = Number(t);
      if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || !(n > 0 && n <= 1)) return 'a number greater than 0 and at most 1 (e.g. 0.001)';
      return n;
    },
  },
  length: {
    label: 'Train for',
    parse: (text, unit) => (unit === 'epochs' ? wholeNumber(1, 10000) : wholeNumber(1, 1e9))(text, unit),
  },
  seed: { label: 'Seed', parse: wholeNumber(0, 2 ** 32 - 1) },
  warmup: { label: 'Warmup', parse: wholeNumber(0, 1e9) },
  validateEvery: { label: 'Validate every', parse: wholeNumber(1, 1e9) },
  seq: { label: 'Sequence length', parse: wholeNumber(1, 10000) },
  clipNorm: {
    label: 'Clip gradient norm',
    parse: (text) => {
      const t = text.trim();
      const n = Number(t);
      if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || !(n >= 0 && n <= 1e9)) return '0 (off) or a number greater than 0 and at most 1e9 (e.g. 5)';
      return n;
    },
  },
};

export const numericFields = Object.keys(fieldRules) as NumericField[];

/** The error message for one field's text, or undefined when it is valid. */
export function fieldError(field: NumericField, text: string, unit: Hyper['unit']): string | undefined {
  const r = fieldRules[field].parse(text, unit);
  return typeof r === 'string' ? `${fieldRules[field].label}: expected ${r}, got "${text.trim()}".` : undefined;
}

/** All fields parsed, or the messages of those that are not valid. */
export function parseHyper(
  texts: Record<NumericField, string>,
  unit: Hyper['unit'],
  lrSchedule: LrScheduleKind = 'constant',
  choices: Pick<Hyper, 'task' | 'stateful'> = {},
): { hyper: Hyper } | { errors: Partial<Record<NumericField, string>> } {
  const errors: Partial<Record<NumericField, string>> = {};
  const values = { unit, lrSchedule, task: choices.task ?? 'digits', stateful: choices.stateful ?? false } as Hyper;
  for (const f of numericFields) {
    const r = fieldRules[f].parse(texts[f], unit);
    if (typeof r === 'string') errors[f] = fieldError(f, texts[f], unit);
    else (values as unknown as Record<string, number | number[]>)[f] = r;
  }
  return Object.keys(errors).length ? { errors } : { hyper: values };
}

/** The layers of a hyperparameter record, as the page shows them ("128,128"); older records have `hidden`. */
export const layersText = (h: Partial<Hyper> & { hidden?: number }): string => (h.layers ?? [h.hidden ?? '?']).join(',');

/** A hyperparameter record saved by an older page (one layer, `hidden`; no task) as today's. */
export function currentHyper(h: Partial<Hyper> & { hidden?: number }): Partial<Hyper> {
  const { hidden, ...rest } = h;
  const layers = rest.layers === undefined && hidden !== undefined ? { layers: [hidden] } : {};
  return { task: 'digits', seq: referenceHyper.seq, stateful: false, ...rest, ...layers };
}

/** Steps in one pass over `trainCount` images or windows (a stateful text run's: its tracks' length). */
export const stepsPerEpoch = (h: Hyper, trainCount: number): number =>
  h.task === 'text' && h.stateful ? Math.floor(trainCount / h.batch) : Math.ceil(trainCount / h.batch);

/** Optimizer steps for a run over `trainCount` images or windows. */
export function totalSteps(h: Hyper, trainCount: number): number {
  return h.unit === 'steps' ? h.length : h.length * stepsPerEpoch(h, trainCount);
}
