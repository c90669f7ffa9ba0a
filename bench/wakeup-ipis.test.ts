import test from 'ava';
import { parseWakeupIpis } from './wakeup-ipis.js';

// The layout of /proc/interrupts (Linux 6.x, two CPUs): a header of CPU columns, numbered lines, named lines.
const TWO_CPUS = [
  '           CPU0       CPU1       ',
  ' 24:          1          0  IO-APIC   5-edge      ACPI:Ged',
  'LOC:    4739352    8960217   Local timer interrupts',
  'RES:    1940101    1719612   Rescheduling interrupts',
  'CAL:   68662082    1590883   Function call interrupts',
  'TLB:     149778     152443   TLB shootdowns',
].join('\n');

test('RES and CAL are summed for the CPU asked for, and no other line', (t) => {
  t.is(parseWakeupIpis(TWO_CPUS, 0), 1940101 + 68662082);
  t.is(parseWakeupIpis(TWO_CPUS, 1), 1719612 + 1590883);
});

test('the CPU column is found by name: an offline CPU has no column', (t) => {
  const gap = ['           CPU0       CPU2       ', 'RES:         10         20   Rescheduling interrupts', 'CAL:          1          2   Function call interrupts'].join('\n');
  t.is(parseWakeupIpis(gap, 2), 22);
  t.true(Number.isNaN(parseWakeupIpis(gap, 1)));
});

test('a missing line or a text that is not /proc/interrupts gives NaN, never a partial count', (t) => {
  t.true(Number.isNaN(parseWakeupIpis(TWO_CPUS.replace(/^CAL:.*$/m, ''), 0)));
  t.true(Number.isNaN(parseWakeupIpis('', 0)));
  t.true(Number.isNaN(parseWakeupIpis('           CPU0\nRES:   x   Rescheduling interrupts\nCAL:   1   Function call interrupts', 0)));
});
