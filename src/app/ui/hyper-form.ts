// The hyperparameter form: every field checked as it is typed, refused at the field with a message.
import { type Hyper, fieldError, numericFields, parseHyper, referenceHyper } from '../hyperparams.ts';
import { type LrScheduleKind, scheduleKinds } from '../../train/lr-schedule.ts';
import { byId } from './dom.ts';

export interface HyperForm {
  /** The values, or undefined (with every bad field marked) when one is not valid. */
  read(): Hyper | undefined;
  write(h: Hyper): void;
  setEnabled(enabled: boolean): void;
  valid(): boolean;
  /** The autotune box: tune the workgroup sizes at the first start on this adapter and shape. */
  autotune(): boolean;
  /** The text file chosen or dropped for the text task; undefined: the default corpus. */
  textFile(): File | undefined;
  onChange(listener: () => void): void;
}

export function createHyperForm(): HyperForm {
  const input = (f: string): HTMLInputElement => byId<HTMLInputElement>(`f-${f}`);
  const unit = byId<HTMLSelectElement>('f-unit');
  const autotune = byId<HTMLInputElement>('f-autotune');
  const schedule = byId<HTMLSelectElement>('f-lrSchedule');
  const task = byId<HTMLSelectElement>('f-task');
  const stateful = byId<HTMLInputElement>('f-stateful');
  const textInput = byId<HTMLInputElement>('text-file');
  const defaultText = byId<HTMLButtonElement>('btn-default-text');
  const textSource = byId('text-source');
  const defaultSource = textSource.textContent ?? '';
  let textFile: File | undefined;
  const listeners: (() => void)[] = [];
  const currentTask = (): NonNullable<Hyper['task']> => (task.value === 'text' ? 'text' : 'digits');
  const showTask = (): void => {
    document.body.dataset.task = currentTask();
  };
  const chooseText = (file: File | undefined): void => {
    textFile = file;
    textSource.textContent = file ? `${file.name} (${file.size.toLocaleString('en-US')} bytes)` : defaultSource;
    textSource.dataset.source = file ? 'file' : 'default';
  };
  textInput.addEventListener('change', () => chooseText(textInput.files?.[0] ?? textFile));
  defaultText.addEventListener('click', () => {
    textInput.value = '';
    chooseText(undefined);
  });
  // A text file dropped anywhere on the form's card is the text to learn.
  const card = byId('setup');
  card.addEventListener('dragover', (e) => {
    if (currentTask() !== 'text' || textInput.disabled) return;
    e.preventDefault();
    card.classList.add('dragging');
  });
  card.addEventListener('dragleave', () => card.classList.remove('dragging'));
  card.addEventListener('drop', (e) => {
    card.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (currentTask() !== 'text' || textInput.disabled || !file) return;
    e.preventDefault();
    chooseText(file);
  });
  task.addEventListener('change', () => {
    showTask();
    listeners.forEach((l) => l());
  });
  const currentUnit = (): Hyper['unit'] => (unit.value === 'epochs' ? 'epochs' : 'steps');
  const currentSchedule = (): LrScheduleKind => scheduleKinds.find((k) => k === schedule.value) ?? 'constant';

  const mark = (f: (typeof numericFields)[number]): boolean => {
    const message = fieldError(f, input(f).value, currentUnit());
    const error = byId(`f-${f}-error`);
    error.textContent = message ?? '';
    error.hidden = !message;
    input(f).setAttribute('aria-invalid', message ? 'true' : 'false');
    if (message) input(f).setAttribute('aria-describedby', `f-${f}-error`);
    else input(f).removeAttribute('aria-describedby');
    return !message;
  };
  const texts = (): Record<(typeof numericFields)[number], string> =>
    Object.fromEntries(numericFields.map((f) => [f, input(f).value])) as Record<(typeof numericFields)[number], string>;

  for (const f of numericFields) {
    input(f).addEventListener('input', () => {
      mark(f);
      listeners.forEach((l) => l());
    });
  }
  unit.addEventListener('change', () => {
    mark('length');
    listeners.forEach((l) => l());
  });
  schedule.addEventListener('change', () => listeners.forEach((l) => l()));

  const form: HyperForm = {
    read() {
      const ok = numericFields.map(mark).every(Boolean);
      const r = parseHyper(texts(), currentUnit(), currentSchedule(), { task: currentTask(), stateful: stateful.checked });
      return ok && 'hyper' in r ? r.hyper : undefined;
    },
    write(h) {
      for (const f of numericFields) input(f).value = String(h[f]);
      unit.value = h.unit;
      schedule.value = h.lrSchedule;
      task.value = h.task ?? 'digits';
      stateful.checked = h.stateful === true;
      showTask();
      numericFields.forEach(mark);
    },
    setEnabled(enabled) {
      for (const f of numericFields) input(f).disabled = !enabled;
      unit.disabled = !enabled;
      schedule.disabled = !enabled;
      autotune.disabled = !enabled;
      task.disabled = !enabled;
      stateful.disabled = !enabled;
      textInput.disabled = !enabled;
      defaultText.disabled = !enabled;
    },
    valid: () => 'hyper' in parseHyper(texts(), currentUnit()),
    autotune: () => autotune.checked,
    textFile: () => textFile,
    onChange: (l) => listeners.push(l),
  };
  form.write(referenceHyper);
  return form;
}
