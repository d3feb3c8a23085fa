namespace MediaSdk.Cli;

/// <summary>Process exit codes (a contract: scripts and tests rely on them).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int BadInput = 3;
    public const int ModelError = 4;
    public const int DeviceUnavailable = 5;

    /// <summary>Maps an exception to its exit code.</summary>
    public static int For(Exception e) => e switch
    {
        MediaInputException => BadInput,
        ModelLoadException => ModelError,
        DeviceUnavailableException => DeviceUnavailable,
        UsageException => Usage,
        _ => Failure,
    };
}

/// <summary>A command-line value is invalid (exit 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
