namespace MediaSdk.Training;

/// <summary>
/// A training manifest is malformed, names media that is missing, or its media cannot be decoded. The message starts
/// with <c>manifest-path:line: </c> and says what is wrong and how to fix it. A bad input, so the CLI exits with 3.
/// </summary>
public sealed class TrainingDataException : MediaInputException
{
    /// <summary>Creates the exception; the message is <c>"{manifestPath}:{line}: {problem}"</c>.</summary>
    /// <param name="manifestPath">The manifest file as the user named it.</param>
    /// <param name="line">1-based line of the manifest the problem is on.</param>
    /// <param name="problem">What is wrong and how to fix it, one line.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public TrainingDataException(string manifestPath, int line, string problem, Exception? inner = null)
        : base($"{manifestPath}:{line}: {problem}", inner)
    {
        ManifestPath = manifestPath;
        Line = line;
    }

    /// <summary>The manifest file the problem is in.</summary>
    public string ManifestPath { get; }

    /// <summary>1-based line of the manifest the problem is on.</summary>
    public int Line { get; }
}
