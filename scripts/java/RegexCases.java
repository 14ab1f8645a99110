// What java.util.regex answers for each case of src/sql/eval/builtins/regexp_java_cases.tsv, the cases the
// evaluator's regexp_matches / regexp_replace / regexp_substr are tested against (see scripts/java-regex-check).
//
// Input and output: tab-separated lines `function  input  pattern  replacement  result`, fields escaped with
// \t \n \r \\ and backslash-u with four hex digits; lines starting with # are kept as they are. The result
// column is rewritten: `true` or `false` for matches, the string for replace and substr, `<undefined>` where
// Java throws (an invalid pattern or replacement), `<no match>` for substr without a match.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class RegexCases {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isEmpty() || line.startsWith("#")) {
                out.append(line).append('\n');
                continue;
            }
            String[] f = line.split("\t", -1);
            String result = answer(f[0], unescape(f[1]), unescape(f[2]), unescape(f[3]));
            out.append(f[0]).append('\t').append(f[1]).append('\t').append(f[2]).append('\t').append(f[3])
                .append('\t').append(escape(result)).append('\n');
        }
        System.out.print(out);
    }

    static String answer(String function, String input, String pattern, String replacement) {
        try {
            Matcher m = Pattern.compile(pattern).matcher(input);
            switch (function) {
                case "matches":
                    return Boolean.toString(m.find());
                case "replace":
                    return m.replaceAll(replacement);
                case "substr":
                    return m.find() ? m.group() : "<no match>";
                default:
                    throw new IllegalStateException("unknown function " + function);
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return "<undefined>";
        }
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                b.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
                case 't': b.append('\t'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 'u': b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                default: b.append(n);
            }
        }
        return b.toString();
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\t': b.append("\\t"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\\': b.append("\\\\"); break;
                default:
                    if (c < 0x20 || c == 0x85 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.toString();
    }
}
