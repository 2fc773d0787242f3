/**
 * How far the program's heap may grow before V8 collects it again: at most half again what was
 * live after the last full collection (V8's --heap-growing-percent=50), where V8 by itself lets a
 * fast program's heap grow up to fourfold. A large fleet trades a little time for a third less
 * memory. Set as the program starts (./program-loader.cjs; the dynamic provider's process loads it
 * too), not in Pulumi.yaml's nodeargs: node refuses to start with a V8 flag its V8 does not know,
 * where this way V8 reports it on stderr and goes on.
 *
 * Measured on 1000 mirrors (at 54985b9, runs taken in turn): the real preview's program peaked at
 * 335-343 MB, not 454-508 MB, for 0.3 s more of an 8.4-8.6 s preview (bench/cli-preview.ts, the
 * flag in nodeargs, two runs each); against the stand-in engine (bench/program-scale.ts's cli row)
 * 362-376 MB, not 534-540 MB, and 5.3-5.5 s, not 4.8-5.0 s. 10 and 100 mirrors: 0.02 and 0.06 s
 * more, the same memory.
 */
"use strict";
require("node:v8").setFlagsFromString("--heap-growing-percent=50");
