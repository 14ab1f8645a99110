// What java.time answers for each case of src/sql/eval/builtins/time_java_cases.tsv, the cases the evaluator's
// time_to_epoch is tested against (see scripts/java-time-check).
//
// time_to_epoch reads with a JDK 11 DateTimeFormatter pattern (the AWS reference says so); what AWS does with
// the fields a string lacks is inferred from the reference's examples: midnight when there is no time, UTC when
// there is no zone. So each case is read with DateTimeFormatter.ofPattern(pattern, Locale.US), then
// LocalDate.from, the local time or midnight, the zone or UTC, and ZonedDateTime.of (a time in a gap moves
// forward, one in an overlap takes the earlier offset).
//
// Input and output: tab-separated lines `input  pattern  result`, fields escaped with backslash t, n, r and a
// backslash; lines starting with # are kept. The result column is rewritten: the milliseconds since the epoch,
// or `<undefined>` where Java throws.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;
import java.util.Locale;

public final class TimeCases {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isEmpty() || line.startsWith("#")) {
                out.append(line).append('\n');
                continue;
            }
            String[] f = line.split("\t", -1);
            out.append(f[0]).append('\t').append(f[1]).append('\t').append(answer(f[0], f[1])).append('\n');
        }
        System.out.print(out);
    }

    static String answer(String input, String pattern) {
        try {
            TemporalAccessor t = DateTimeFormatter.ofPattern(pattern, Locale.US).parse(input);
            LocalTime time = t.query(TemporalQueries.localTime());
            ZoneId zone = t.query(TemporalQueries.zone());
            ZonedDateTime at = ZonedDateTime.of(
                LocalDate.from(t),
                time == null ? LocalTime.MIDNIGHT : time,
                zone == null ? ZoneOffset.UTC : zone);
            return Long.toString(at.toInstant().toEpochMilli());
        } catch (RuntimeException e) {
            return "<undefined>";
        }
    }
}
