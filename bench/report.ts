/**
 * Issue 14's figures in one table, from the benches' last results (bench/results/*.json): each
 * row names its bench and when it ran, "not measured" where no bench has measured it yet, and the
 * issue's target beside it. Runs nothing; `npm run bench` measures everything, then prints this.
 * Exits 1 only when a results file cannot be read (it names the file and the field).
 *
 *   npm run bench:report
 */
import { formatReport, reportRows } from "./support/report-table";
import { readResults } from "./support/results";

const { results, problems } = readResults();
console.log(formatReport(reportRows(results), results));
if (problems.length > 0) {
  console.error(`\nresults files left out:\n${problems.join("\n")}`);
  process.exitCode = 1;
}
