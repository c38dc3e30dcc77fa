/**
 * Tensor files and data sets: NumPy {@code .npy}/{@code .npz} ({@link org.dlm.runtime.io.Npy},
 * {@link org.dlm.runtime.io.Npz}), safetensors ({@link org.dlm.runtime.io.Safetensors}), IDX
 * ({@link org.dlm.runtime.io.Idx}, {@link org.dlm.runtime.io.MnistData}) and CSV
 * ({@link org.dlm.runtime.io.CsvDataset}); model parameters by name
 * ({@link org.dlm.runtime.io.ParamStore}).
 *
 * <p>Every reader decodes to a {@link org.dlm.runtime.io.RawTensor} (little-endian, row-major
 * bytes), which converts to the interpreter's {@code NdArray} or a native {@code Tensor}. Readers
 * check every size a header declares against the file before allocating, and report a corrupt or
 * mismatched file as a {@link org.dlm.runtime.io.DataFormatException} whose message starts with
 * the file and tensor. Writers are atomic ({@link org.dlm.runtime.io.AtomicFiles}): a crash
 * leaves the old file or the complete new one, never half of one.
 *
 * <pre>{@code
 * Map<String, NdArray> params = ParamStore.load(graph, Path.of("lenet.safetensors"));
 * NdArray x = Npy.readArray(Path.of("x.npy"));
 * Dataset test = MnistData.shipped("t10k");
 * }</pre>
 */
package org.dlm.runtime.io;
