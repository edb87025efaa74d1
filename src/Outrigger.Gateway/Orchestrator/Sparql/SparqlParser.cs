using System.Globalization;

namespace Outrigger.Gateway.Orchestrator.Sparql;

/// <summary>
/// Parses the supported subset of SPARQL 1.1: <c>PREFIX</c>, <c>SELECT [DISTINCT] (* | ?v…)</c> or <c>ASK</c>,
/// <c>WHERE { triples, GRAPH g { triples }, FILTER(…) }</c> and <c>LIMIT n</c>. IRIs must denote term ids
/// (<c>&lt;urn:knhk:N&gt;</c>). Everything else fails with a <see cref="SparqlException"/> that says where and why.
/// </summary>
internal sealed class SparqlParser
{
    public const string TermIriPrefix = "urn:knhk:";

    private static readonly string[] UnsupportedKeywords =
        ["OPTIONAL", "UNION", "MINUS", "BIND", "VALUES", "SERVICE", "ORDER", "GROUP", "HAVING", "OFFSET", "CONSTRUCT", "DESCRIBE",
         "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "BASE", "FROM", "REDUCED", "EXISTS", "NOT"];

    private readonly List<Token> _tokens;
    private readonly Dictionary<string, string> _prefixes = new(StringComparer.Ordinal);
    private readonly List<string> _variables = [];
    private readonly List<TriplePattern> _patterns = [];
    private readonly List<FilterExpression> _filters = [];
    private int _pos;

    private SparqlParser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    private Token Current => _tokens[_pos];

    public static SparqlQuery Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new SparqlException("invalid SPARQL: the query is empty");
        }

        return new SparqlParser(SparqlLexer.Tokenize(text)).ParseQuery();
    }

    /// <summary>Term id N for <c>urn:knhk:N</c>; false for any other IRI.</summary>
    public static bool TryParseTermIri(string iri, out ulong id)
    {
        id = 0;
        return iri.StartsWith(TermIriPrefix, StringComparison.Ordinal)
            && iri.Length > TermIriPrefix.Length
            && iri.AsSpan(TermIriPrefix.Length).IndexOfAnyExceptInRange('0', '9') < 0
            && ulong.TryParse(iri.AsSpan(TermIriPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    private SparqlQuery ParseQuery()
    {
        while (Current.IsWord("PREFIX"))
        {
            ParsePrefix();
        }

        RejectUnsupported(Current);
        QueryForm form;
        var distinct = false;
        List<int>? projection = null;
        if (Accept("SELECT"))
        {
            form = QueryForm.Select;
            distinct = Accept("DISTINCT");
            projection = ParseProjection();
        }
        else if (Accept("ASK"))
        {
            form = QueryForm.Ask;
        }
        else
        {
            throw SparqlException.Syntax(Current, $"expected PREFIX, SELECT or ASK but found {Current.Describe()}");
        }

        Accept("WHERE");
        ParseGroup(graph: null);
        var limit = ParseLimit();
        RejectUnsupported(Current);
        if (Current.Kind != TokenKind.End)
        {
            throw SparqlException.Syntax(Current, $"unexpected {Current.Describe()} after the query");
        }

        if (_patterns.Count == 0)
        {
            throw SparqlException.Syntax(Current, "the WHERE clause has no triple pattern");
        }

        return new SparqlQuery(form, distinct, projection ?? AllVariables(), _patterns, _filters, limit, _variables);
    }

    private void ParsePrefix()
    {
        _pos++;
        var name = Expect(TokenKind.PrefixedName, "a prefix name such as k:");
        if (!name.Text.EndsWith(':'))
        {
            throw SparqlException.Syntax(name, $"a prefix declaration needs a name ending in ':' but found {name.Describe()}");
        }

        var iri = Expect(TokenKind.Iri, "an IRI such as <urn:knhk:>");
        _prefixes[name.Text[..^1]] = iri.Text;
    }

    private List<int>? ParseProjection()
    {
        if (Current.Is("*"))
        {
            _pos++;
            return null;
        }

        var projection = new List<int>();
        while (Current.Kind == TokenKind.Variable)
        {
            projection.Add(Variable(Current));
            _pos++;
        }

        if (projection.Count == 0)
        {
            RejectUnsupported(Current);
            if (Current.Is("("))
            {
                throw SparqlException.Unsupported(Current, "expressions in SELECT are not supported");
            }

            throw SparqlException.Syntax(Current, $"expected '*' or variables after SELECT but found {Current.Describe()}");
        }

        return projection;
    }

    private void ParseGroup(PatternTerm? graph)
    {
        ExpectPunctuation("{");
        while (!Current.Is("}"))
        {
            RejectUnsupported(Current);
            if (Current.Kind == TokenKind.End)
            {
                throw SparqlException.Syntax(Current, "expected '}' to close the group");
            }

            if (Accept("FILTER"))
            {
                _filters.Add(ParseBracketed());
            }
            else if (Current.IsWord("GRAPH"))
            {
                var at = Current;
                _pos++;
                if (graph is not null)
                {
                    throw SparqlException.Unsupported(at, "GRAPH inside GRAPH is not supported");
                }

                var name = ParseTerm("a graph IRI or variable");
                ParseGroup(name);
            }
            else if (Current.Is("{"))
            {
                throw SparqlException.Unsupported(Current, "nested groups { … } are not supported");
            }
            else if (Current.Is("."))
            {
                _pos++;
            }
            else
            {
                ParseTriples(graph);
            }
        }

        _pos++;
    }

    private void ParseTriples(PatternTerm? graph)
    {
        var subject = ParseTerm("a subject (variable or IRI)");
        while (true)
        {
            var predicate = ParseTerm("a predicate (variable or IRI)");
            while (true)
            {
                var obj = ParseTerm("an object (variable or IRI)");
                _patterns.Add(new TriplePattern(subject, predicate, obj, graph));
                if (!Current.Is(","))
                {
                    break;
                }

                _pos++;
            }

            if (!Current.Is(";"))
            {
                break;
            }

            _pos++;
            if (Current.Is(".") || Current.Is("}"))
            {
                break;
            }
        }

        if (!Current.Is(".") && !Current.Is("}") && !Current.IsWord("FILTER") && !Current.IsWord("GRAPH"))
        {
            RejectUnsupported(Current);
            throw SparqlException.Syntax(Current, $"expected '.', ';', ',' or '}}' after a triple pattern but found {Current.Describe()}");
        }
    }

    private FilterExpression ParseBracketed()
    {
        if (!Current.Is("("))
        {
            RejectUnsupported(Current);
            throw SparqlException.Unsupported(Current, $"FILTER {Current.Describe()} is not supported: write FILTER ( … ) with = and !=");
        }

        _pos++;
        var expression = ParseOr();
        ExpectPunctuation(")");
        return expression;
    }

    private FilterExpression ParseOr()
    {
        var left = ParseAnd();
        while (Current.Is("||"))
        {
            _pos++;
            left = new OrExpression(left, ParseAnd());
        }

        return left;
    }

    private FilterExpression ParseAnd()
    {
        var left = ParseUnary();
        while (Current.Is("&&"))
        {
            _pos++;
            left = new AndExpression(left, ParseUnary());
        }

        return left;
    }

    private FilterExpression ParseUnary()
    {
        if (Current.Is("!"))
        {
            _pos++;
            return new NotExpression(ParseUnary());
        }

        if (Current.Is("("))
        {
            return ParseBracketed();
        }

        var left = ParseTerm("a variable or IRI");
        var op = Current;
        if (!op.Is("=") && !op.Is("!="))
        {
            if (op.Kind == TokenKind.Punctuation && op.Text is "<" or ">" or "<=" or ">=" or "+" or "-" or "*" or "/")
            {
                throw SparqlException.Unsupported(op, $"the operator '{op.Text}' is not supported in FILTER (only = and !=)");
            }

            throw SparqlException.Syntax(op, $"expected '=' or '!=' but found {op.Describe()}");
        }

        _pos++;
        return new CompareExpression(left, ParseTerm("a variable or IRI"), op.Is("="));
    }

    private PatternTerm ParseTerm(string expected)
    {
        var token = Current;
        RejectUnsupported(token);
        _pos++;
        return token.Kind switch
        {
            TokenKind.Variable when token.Text.Length == 0 => throw SparqlException.Syntax(token, "a variable needs a name, e.g. ?s"),
            TokenKind.Variable => PatternTerm.Var(Variable(token)),
            TokenKind.Iri => PatternTerm.Const(TermId(token, token.Text)),
            TokenKind.PrefixedName => PatternTerm.Const(TermId(token, Expand(token))),
            TokenKind.Literal or TokenKind.Integer => throw SparqlException.Unsupported(token, $"literals such as {token.Describe()} are not supported: terms are term ids written <{TermIriPrefix}N>"),
            TokenKind.BlankNode => throw SparqlException.Unsupported(token, "blank nodes are not supported in patterns; use a variable"),
            TokenKind.Word when token.Text == "a" => throw SparqlException.Unsupported(token, $"the keyword 'a' (rdf:type) has no term id here; write the predicate as <{TermIriPrefix}N>"),
            _ => throw SparqlException.Syntax(token, $"expected {expected} but found {token.Describe()}"),
        };
    }

    private string Expand(Token token)
    {
        var colon = token.Text.IndexOf(':', StringComparison.Ordinal);
        var prefix = token.Text[..colon];
        if (!_prefixes.TryGetValue(prefix, out var iri))
        {
            throw SparqlException.Syntax(token, $"the prefix '{prefix}:' is not declared (add PREFIX {prefix}: <{TermIriPrefix}>)");
        }

        return iri + token.Text[(colon + 1)..];
    }

    private static ulong TermId(Token token, string iri)
    {
        if (!TryParseTermIri(iri, out var id))
        {
            throw SparqlException.Unsupported(token, $"the IRI <{iri}> is not a term id; terms are written <{TermIriPrefix}N> with N a 64-bit unsigned integer");
        }

        return id;
    }

    private long? ParseLimit()
    {
        if (!Accept("LIMIT"))
        {
            return null;
        }

        var token = Expect(TokenKind.Integer, "a number after LIMIT");
        if (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
        {
            throw SparqlException.Syntax(token, $"LIMIT {token.Text} is too large");
        }

        return limit;
    }

    private int Variable(Token token)
    {
        var index = _variables.IndexOf(token.Text);
        if (index < 0)
        {
            index = _variables.Count;
            _variables.Add(token.Text);
        }

        return index;
    }

    private List<int> AllVariables()
    {
        var all = new List<int>(_variables.Count);
        for (var i = 0; i < _variables.Count; i++)
        {
            all.Add(i);
        }

        return all;
    }

    private static void RejectUnsupported(Token token)
    {
        if (token.Kind == TokenKind.Word && Array.Exists(UnsupportedKeywords, k => token.IsWord(k)))
        {
            throw SparqlException.Unsupported(token, $"{token.Text.ToUpperInvariant()} is not supported");
        }
    }

    private bool Accept(string word)
    {
        if (!Current.IsWord(word))
        {
            return false;
        }

        _pos++;
        return true;
    }

    private Token Expect(TokenKind kind, string expected)
    {
        var token = Current;
        if (token.Kind != kind)
        {
            throw SparqlException.Syntax(token, $"expected {expected} but found {token.Describe()}");
        }

        _pos++;
        return token;
    }

    private void ExpectPunctuation(string text)
    {
        if (!Current.Is(text))
        {
            RejectUnsupported(Current);
            throw SparqlException.Syntax(Current, $"expected '{text}' but found {Current.Describe()}");
        }

        _pos++;
    }
}
