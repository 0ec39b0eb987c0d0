// axe-core over a page of the journey: no serious or critical violation of WCAG 2.1 A/AA
// (moderate and minor ones are printed, not failed). Each page's counts are printed so the
// run shows what was checked.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

const BLOCKING = new Set(['serious', 'critical']);

export async function expectAccessible(page: Page, name: string) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const blocking = result.violations.filter((v) => BLOCKING.has(v.impact ?? ''));
  const other = result.violations.filter((v) => !BLOCKING.has(v.impact ?? ''));
  console.log(
    `axe ${name}: ${result.passes.length} rules passed, ${blocking.length} serious/critical, ${other.length} moderate/minor` +
      (other.length ? ` (${other.map((v) => v.id).join(', ')})` : ''),
  );
  const described = blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(described, `axe on ${name}`).toEqual([]);
}
