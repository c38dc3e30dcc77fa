package org.dlm.frontend.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;
import org.dlm.frontend.ast.Source;
import org.dlm.frontend.check.Reporter;
import org.dlm.grammar.DlmLexer;

/**
 * Turns ANTLR's syntax errors into diagnostics with our own wording ("unexpected ')'", hint
 * "expected a name"). ANTLR's messages never reach the user or stderr.
 */
final class SyntaxErrorListener extends BaseErrorListener {
    private static final Map<Integer, String> TOKEN_WORDS = Map.ofEntries(
            Map.entry(DlmLexer.IDENT, "a name"), Map.entry(DlmLexer.INT, "an integer"),
            Map.entry(DlmLexer.FLOAT, "a number"), Map.entry(DlmLexer.STRING, "a string"),
            Map.entry(Token.EOF, "end of file"));

    private final Source source;
    private final Reporter reporter;
    private int count;

    SyntaxErrorListener(Source source, Reporter reporter) {
        this.source = source;
        this.reporter = reporter;
    }

    int count() { return count; }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int col, String msg, RecognitionException e) {
        count++;
        Token t = offendingSymbol instanceof Token tok ? tok : null;
        int start = t == null || t.getStartIndex() < 0 ? source.text().length() : t.getStartIndex();
        int end = t == null || t.getType() == Token.EOF ? start : t.getStopIndex() + 1;
        String what = t == null || t.getType() == Token.EOF ? "end of file" : "'" + shorten(t.getText()) + "'";
        String expected = recognizer instanceof Parser p ? expected(p) : null;
        String message;
        if (msg != null && msg.startsWith("missing ")) {
            String missing = msg.substring(8, msg.indexOf(" at ") > 0 ? msg.indexOf(" at ") : msg.length());
            message = "missing " + word(missing) + " before " + what;
            expected = null;
        } else {
            message = "unexpected " + what;
        }
        reporter.error(source.span(start, end), message, expected == null ? null : "expected " + expected);
    }

    private static String expected(Parser p) {
        IntervalSet set;
        try {
            set = p.getExpectedTokens();
        } catch (RuntimeException ex) {
            return null;
        }
        List<String> words = new ArrayList<>();
        for (int type : set.toList()) {
            if (type == DlmLexer.BAD_CHAR || type == DlmLexer.UNTERMINATED_STRING) continue;
            words.add(TOKEN_WORDS.getOrDefault(type, p.getVocabulary().getLiteralName(type) == null
                    ? p.getVocabulary().getSymbolicName(type) : p.getVocabulary().getLiteralName(type)));
        }
        if (words.isEmpty() || words.size() > 8) return null;
        if (words.size() == 1) return words.get(0);
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.getLast();
    }

    private static String word(String antlrName) {
        if (antlrName.equals("IDENT")) return "a name";
        if (antlrName.equals("INT")) return "an integer";
        return antlrName;
    }

    static String shorten(String text) {
        String t = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        return t.length() > 20 ? t.substring(0, 20) + "..." : t;
    }

}
