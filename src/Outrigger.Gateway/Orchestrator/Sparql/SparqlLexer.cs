namespace Outrigger.Gateway.Orchestrator.Sparql;

/// <summary>Splits a query into tokens; comments (<c># …</c>) and whitespace are skipped.</summary>
internal static class SparqlLexer
{
    private static readonly string[] Operators = ["&&", "||", "!=", "<=", ">=", "^^"];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var scanner = new Scanner(text);
        while (scanner.SkipSpaceAndComments())
        {
            tokens.Add(scanner.Next());
        }

        tokens.Add(new Token(TokenKind.End, "", scanner.Line, scanner.Column));
        return tokens;
    }

    private sealed class Scanner(string text)
    {
        private int _pos;

        public int Line { get; private set; } = 1;

        public int Column { get; private set; } = 1;

        public bool SkipSpaceAndComments()
        {
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (char.IsWhiteSpace(c))
                {
                    Advance(1);
                }
                else if (c == '#')
                {
                    while (_pos < text.Length && text[_pos] != '\n')
                    {
                        Advance(1);
                    }
                }
                else
                {
                    return true;
                }
            }

            return false;
        }

        public Token Next()
        {
            var (line, column) = (Line, Column);
            var c = text[_pos];
            var (kind, value, length) = c switch
            {
                '<' when IriEnd() is > 0 and var end => (TokenKind.Iri, text[(_pos + 1)..end], end - _pos + 1),
                '?' or '$' => Name(TokenKind.Variable, 1),
                '"' or '\'' => (TokenKind.Literal, QuotedText(c), QuotedLength(c)),
                '_' when Peek(1) == ':' => Name(TokenKind.BlankNode, 2),
                _ when char.IsAsciiDigit(c) => Span(TokenKind.Integer, char.IsAsciiDigit),
                _ when char.IsLetter(c) => WordOrPrefixedName(),
                _ when c == ':' => PrefixedName(0),
                _ => Operator(),
            };
            Advance(length);
            return new Token(kind, value, line, column);
        }

        private (TokenKind, string, int) WordOrPrefixedName()
        {
            var length = 0;
            while (_pos + length < text.Length && IsNameChar(text[_pos + length]))
            {
                length++;
            }

            return Peek(length) == ':' ? PrefixedName(length) : (TokenKind.Word, text.Substring(_pos, length), length);
        }

        private (TokenKind, string, int) PrefixedName(int colon)
        {
            var length = colon + 1;
            while (_pos + length < text.Length && (IsNameChar(text[_pos + length]) || (text[_pos + length] == '.' && IsNameChar(Peek(length + 1)))))
            {
                length++;
            }

            return (TokenKind.PrefixedName, text.Substring(_pos, length), length);
        }

        private (TokenKind, string, int) Name(TokenKind kind, int sigil)
        {
            var length = sigil;
            while (_pos + length < text.Length && IsNameChar(text[_pos + length]))
            {
                length++;
            }

            return (kind, text.Substring(_pos + sigil, length - sigil), length);
        }

        private (TokenKind, string, int) Span(TokenKind kind, Func<char, bool> accept)
        {
            var length = 0;
            while (_pos + length < text.Length && accept(text[_pos + length]))
            {
                length++;
            }

            return (kind, text.Substring(_pos, length), length);
        }

        private (TokenKind, string, int) Operator()
        {
            foreach (var op in Operators)
            {
                if (string.CompareOrdinal(text, _pos, op, 0, op.Length) == 0)
                {
                    return (TokenKind.Punctuation, op, op.Length);
                }
            }

            return (TokenKind.Punctuation, text[_pos].ToString(), 1);
        }

        /// <summary>The index of the closing '&gt;' of an IRI starting here, or -1 (then '&lt;' is an operator).</summary>
        private int IriEnd()
        {
            for (var i = _pos + 1; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '>')
                {
                    return i;
                }

                if (char.IsWhiteSpace(c) || c is '<' or '"' or '{' or '}' or '|' or '^' or '`' or '\\')
                {
                    return -1;
                }
            }

            return -1;
        }

        private int QuotedLength(char quote)
        {
            var end = text.IndexOf(quote, _pos + 1);
            return end < 0 ? text.Length - _pos : end - _pos + 1;
        }

        private string QuotedText(char quote)
        {
            var end = text.IndexOf(quote, _pos + 1);
            return end < 0 ? text[_pos..] : text.Substring(_pos, end - _pos + 1);
        }

        private char Peek(int offset) => _pos + offset < text.Length ? text[_pos + offset] : '\0';

        private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-';

        private void Advance(int count)
        {
            for (var i = 0; i < count && _pos < text.Length; i++, _pos++)
            {
                if (text[_pos] == '\n')
                {
                    Line++;
                    Column = 1;
                }
                else
                {
                    Column++;
                }
            }
        }
    }
}
