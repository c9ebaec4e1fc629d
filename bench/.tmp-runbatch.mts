const { run } = await import('/work/main/bench/scenarios/batching.ts');
const r = await run();
console.log(r.name); console.log(r.lines.join('\n'));
