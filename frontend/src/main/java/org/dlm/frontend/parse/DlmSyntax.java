package org.dlm.frontend.parse;

import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.ListTokenSource;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;
import org.dlm.frontend.ast.Source;
import org.dlm.frontend.ast.SourceFile;
import org.dlm.frontend.check.Reporter;
import org.dlm.grammar.DlmLexer;
import org.dlm.grammar.DlmParser;

/**
 * Source text to AST. Parses with ANTLR's fast SLL mode first and re-parses with full LL only
 * when SLL fails, so correct files pay for the cheap mode only. Every syntax error becomes a
 * diagnostic; the AST is built only from a file without syntax errors.
 */
public final class DlmSyntax {
    /** Brackets nested deeper than this are refused before parsing (keeps recursion bounded). */
    public static final int MAX_NESTING = 200;

    private DlmSyntax() {}

    /** The AST, or null when the file has syntax errors (all of them reported). */
    public static SourceFile parse(Source source, Reporter reporter) {
        DlmLexer lexer = new DlmLexer(CharStreams.fromString(source.text(), source.name()));
        lexer.removeErrorListeners();
        List<Token> tokens = new ArrayList<>();
        int errorsBefore = reporter.errorCount();
        int depth = 0;
        int prefixRun = 0, powRun = 0;
        for (Token t = lexer.nextToken(); ; t = lexer.nextToken()) {
            switch (t.getType()) {
                case DlmLexer.BAD_CHAR -> reporter.error(source.span(t.getStartIndex(), t.getStopIndex() + 1),
                        "unexpected character '" + SyntaxErrorListener.shorten(t.getText()) + "'", badCharHint(t.getText()));
                case DlmLexer.UNTERMINATED_STRING -> reporter.error(source.span(t.getStartIndex(), t.getStopIndex() + 1),
                        "unterminated string", "close it with \" on the same line");
                case DlmLexer.LPAREN, DlmLexer.LBRACK, DlmLexer.LBRACE -> {
                    if (++depth > MAX_NESTING) {
                        reporter.error(source.span(t.getStartIndex(), t.getStopIndex() + 1),
                                "brackets nested more than " + MAX_NESTING + " levels deep",
                                "split the expression with let bindings");
                        return null;
                    }
                    tokens.add(t);
                }
                case DlmLexer.RPAREN, DlmLexer.RBRACK, DlmLexer.RBRACE -> {
                    depth = Math.max(0, depth - 1);
                    tokens.add(t);
                }
                case DlmLexer.MINUS, DlmLexer.PLUS, DlmLexer.NOT, DlmLexer.POW -> {
                    // runs of prefix operators (- - - x) and right-associative ** chains nest like brackets
                    boolean pow = t.getType() == DlmLexer.POW;
                    if (pow ? ++powRun > MAX_NESTING : ++prefixRun > MAX_NESTING) {
                        reporter.error(source.span(t.getStartIndex(), t.getStopIndex() + 1),
                                "more than " + MAX_NESTING + " operators in a row", "split the expression with let bindings");
                        return null;
                    }
                    tokens.add(t);
                }
                default -> tokens.add(t);
            }
            int type = t.getType();
            if (type != DlmLexer.MINUS && type != DlmLexer.PLUS && type != DlmLexer.NOT) prefixRun = 0;
            if (type != DlmLexer.POW && type != DlmLexer.MINUS && type != DlmLexer.PLUS && type != DlmLexer.INT
                    && type != DlmLexer.FLOAT && type != DlmLexer.IDENT && type != DlmLexer.DOT) powRun = 0;
            if (t.getType() == Token.EOF) break;
        }
        // a bad character would only cause follow-up syntax errors: report it alone
        if (reporter.errorCount() > errorsBefore) return null;

        DlmParser parser = new DlmParser(new CommonTokenStream(new ListTokenSource(tokens, source.name())));
        parser.removeErrorListeners();
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        parser.setErrorHandler(new BailErrorStrategy());
        DlmParser.FileContext tree;
        try {
            tree = parser.file();
        } catch (ParseCancellationException e) {
            parser = new DlmParser(new CommonTokenStream(new ListTokenSource(tokens, source.name())));
            parser.removeErrorListeners();
            SyntaxErrorListener listener = new SyntaxErrorListener(source, reporter);
            parser.addErrorListener(listener);
            parser.setErrorHandler(new DefaultErrorStrategy());
            parser.getInterpreter().setPredictionMode(PredictionMode.LL);
            tree = parser.file();
            if (listener.count() > 0) return null;
        }
        int before = reporter.errorCount();
        SourceFile file = new AstBuilder(source, reporter).file(tree);
        return reporter.errorCount() > before ? null : file;
    }

    private static String badCharHint(String c) {
        return switch (c) {
            case "#" -> "comments start with //";
            case "'" -> "strings use double quotes";
            case "&", "|" -> "use 'and' / 'or'";
            case "!" -> "use 'not'";
            default -> null;
        };
    }
}
