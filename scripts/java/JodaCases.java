// What Joda-Time answers for each case of src/sql/eval/builtins/time_joda_cases.tsv, the cases the evaluator's
// parse_time is tested against (see scripts/java-time-check). parse_time formats with a Joda-Time pattern in a
// Joda-Time zone, the AWS reference says; the locale is taken to be US English, as the reference's examples
// print.
//
// Input and output: tab-separated lines `pattern  milliseconds  zone  result` (an empty zone: the default,
// UTC); lines starting with # are kept. The result column is rewritten: the formatted string, or `<undefined>`
// where Joda throws.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.joda.time.DateTimeZone;
import org.joda.time.format.DateTimeFormat;

public final class JodaCases {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isEmpty() || line.startsWith("#")) {
                out.append(line).append('\n');
                continue;
            }
            String[] f = line.split("\t", -1);
            out.append(f[0]).append('\t').append(f[1]).append('\t').append(f[2]).append('\t')
                .append(answer(f[0], f[1], f[2])).append('\n');
        }
        System.out.print(out);
    }

    static String answer(String pattern, String millis, String zone) {
        try {
            return DateTimeFormat.forPattern(pattern)
                .withLocale(Locale.US)
                .withZone(DateTimeZone.forID(zone.isEmpty() ? "UTC" : zone))
                .print(Long.parseLong(millis));
        } catch (RuntimeException e) {
            return "<undefined>";
        }
    }
}
