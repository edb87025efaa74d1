namespace Outrigger.Gateway.Orchestrator.Sparql;

internal enum TokenKind
{
    End,
    Iri,
    PrefixedName,
    Variable,
    Word,
    Integer,
    Literal,
    BlankNode,
    Punctuation,
}

/// <summary>A lexical token with its 1-based position. <see cref="Text"/> is the IRI without brackets, the variable without '?'.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column)
{
    public bool Is(string punctuation) => Kind == TokenKind.Punctuation && Text == punctuation;

    public bool IsWord(string word) => Kind == TokenKind.Word && string.Equals(Text, word, StringComparison.OrdinalIgnoreCase);

    public string Describe() => Kind switch
    {
        TokenKind.End => "the end of the query",
        TokenKind.Iri => $"<{Text}>",
        TokenKind.Variable => $"?{Text}",
        _ => $"'{Text}'",
    };
}
