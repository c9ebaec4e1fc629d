import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { connectors } from '../../connectors/index';
import { ConfigError, parseConfig, type Config } from '../config';
import type { AnyConnector } from '../connector-kit/define';
import { createRegistry } from '../connector-kit/registry';
import { resolveDestinations } from '../delivery/destinations';
import { diagnose } from '../doctor/diagnose';
import { doctorInputSchema } from '../doctor/findings';
import { parse } from './args';
import { EXIT, usageError, type CliIo } from './io';

const USAGE = 'closeloop check-config [file] [--json]';

interface Problem {
  severity: 'error' | 'warning';
  path: string;
  problem: string;
  fix: string;
}

/** A fix for zod's and the config's messages, so every line says what to do. */
function fixFor(message: string, given?: string): string {
  const env = /environment variable (\w+)/.exec(message);
  if (env) return `export ${env[1]}=… before starting, or give a default: \${${env[1]}:-value}`;
  if (/at least (\d+) characters/.test(message)) return 'use a longer random value, e.g. the output of `openssl rand -hex 24`';
  if (/defined twice/.test(message)) return 'give each one its own id';
  if (/unknown connector/.test(message)) return 'use one of the connector ids listed';
  if (/received undefined|is required|Required/.test(message)) return 'add this key (closeloop.example.yaml shows every key)';
  if (/Unrecognized key|unrecognized/i.test(message)) return 'remove or rename the key (check its spelling in closeloop.example.yaml)';
  if (/http:\/\/ or https:\/\//.test(message)) return 'write the full URL, starting with https://';
  return given ?? 'see closeloop.example.yaml for this key';
}

/** config.ts already writes `problem — fix`; keep its fix unless a more specific one is known here. */
function lineProblem(path: string, text: string): Problem {
  const [problem, ...fix] = text.split(' — ');
  return { severity: 'error', path, problem: problem as string, fix: fixFor(problem as string, fix.length ? fix.join(' — ') : undefined) };
}

/** "  path: message" lines of a ConfigError (config.ts and delivery/destinations.ts formats). */
function problemsOf(err: ConfigError): Problem[] {
  const lines = err.message
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 0) return [{ severity: 'error', path: '(config)', problem: err.message, fix: fixFor(err.message) }];
  return lines.map((l) => {
    const dest = /^destination "([^"]+)"(?: ([^:]+))?: (.*)$/.exec(l);
    if (dest)
      return { severity: 'error', path: `destinations[${dest[1]}]${dest[2] ? `.${dest[2]}` : ''}`, problem: dest[3] as string, fix: fixFor(dest[3] as string) };
    const m = /^([^:\s][^:]*?): (.*)$/.exec(l);
    return m ? lineProblem(m[1] as string, m[2] as string) : lineProblem('(config)', l);
  });
}

/** The doctor on every http-postback destination URL, with Closeloop's macro reference. */
function doctorProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  const destinations = config.destinations.map((d) => ({
    id: d.id,
    connector: d.connector,
    url: typeof d.settings.url === 'string' ? d.settings.url : undefined,
    events: d.filters.events,
  }));
  for (const d of config.destinations) {
    if (d.connector !== 'http-postback' || typeof d.settings.url !== 'string') continue;
    const input = doctorInputSchema.parse({ url: d.settings.url, kind: 'outbound', context: { destination: d.id, macros: 'closeloop' } });
    for (const f of diagnose(input, { destinations })) {
      if (f.severity !== 'info') out.push({ severity: f.severity, path: `destinations[${d.id}].settings.url`, problem: f.message, fix: f.fix });
    }
  }
  return out;
}

/** `closeloop check-config`: loads and validates a config file locally, as the gateway would at boot. */
export async function checkConfigCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {}, USAGE);
  if (values.help) {
    io.out(`usage: ${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw usageError('give at most one file', USAGE);
  const file = positionals[0] ?? io.env.CLOSELOOP_CONFIG ?? (existsSync('closeloop.yaml') ? 'closeloop.yaml' : 'closeloop.example.yaml');
  const problems: Problem[] = [];
  let config: Config | null = null;
  try {
    const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
    config = parseConfig(raw ?? {}, io.env);
    resolveDestinations(config.destinations, createRegistry(connectors as readonly AnyConnector[]));
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...problemsOf(err));
    else if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0];
      problems.push({
        severity: 'error',
        path: at ? `line ${at.line}` : '(yaml)',
        problem: err.message.split('\n')[0] as string,
        fix: 'fix the YAML syntax there (indentation with spaces, a ":" after each key, quotes around values with ": " or "#")',
      });
    } else if ((err as { code?: string }).code === 'ENOENT') {
      problems.push({
        severity: 'error',
        path: file,
        problem: 'the file does not exist',
        fix: 'give the path of your config, or copy closeloop.example.yaml to closeloop.yaml',
      });
    } else throw err;
  }
  const bootProblems = problems.length;
  if (config && bootProblems === 0) problems.push(...doctorProblems(config));
  const ok = !problems.some((p) => p.severity === 'error');
  if (values.json) {
    io.out(`${JSON.stringify({ ok, file, problems }, null, 2)}\n`);
  } else {
    for (const p of problems) io.out(`${p.severity === 'warning' ? 'warning: ' : ''}${p.path}: ${p.problem} — ${p.fix}\n`);
    if (ok && config) io.out(`${file}: OK (${config.links.length} links, ${config.sources.length} sources, ${config.destinations.length} destinations)\n`);
    else if (bootProblems > 0) io.out(`${file}: ${bootProblems} problem(s); the gateway would not start with it.\n`);
    else if (!ok) io.out(`${file}: the gateway would start, but the postback doctor found errors in destination URLs (above).\n`);
  }
  return ok ? EXIT.ok : EXIT.problems;
}
