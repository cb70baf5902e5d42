#include "runtime/tensor_io.h"

#include <cstring>

#include "hf/safetensors.h"

namespace anemll::runtime {

Result<std::map<std::string, Tensor>> ReadTensors(const std::filesystem::path& path) {
  ANEMLL_ASSIGN_OR_RETURN(hf::SafetensorsFile file, hf::SafetensorsFile::Open(path));
  std::map<std::string, Tensor> out;
  for (const hf::TensorInfo& info : file.tensors()) {
    const std::string where = StrCat(path.string(), ": tensor ", info.name);
    mil::DType dtype;
    switch (info.dtype) {
      case hf::DType::kF16: dtype = mil::DType::kFp16; break;
      case hf::DType::kI32: dtype = mil::DType::kInt32; break;
      case hf::DType::kI16: dtype = mil::DType::kInt16; break;
      case hf::DType::kI8: dtype = mil::DType::kInt8; break;
      case hf::DType::kU8: dtype = mil::DType::kUInt8; break;
      case hf::DType::kBool: dtype = mil::DType::kBool; break;
      case hf::DType::kI64: dtype = mil::DType::kInt32; break;
      default: dtype = mil::DType::kFp32; break;  // F32, BF16, F64
    }
    Tensor t(dtype, info.shape);
    if (info.dtype == hf::DType::kBF16 || info.dtype == hf::DType::kF64) {
      ANEMLL_ASSIGN_OR_RETURN(std::vector<float> v, hf::ToFloat32(info));
      std::memcpy(t.mutable_data(), v.data(), v.size() * sizeof(float));
    } else if (info.dtype == hf::DType::kI64) {
      ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, hf::ToInt64(info));
      auto* p = reinterpret_cast<int32_t*>(t.mutable_data());
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
          return InvalidArgument(where, ": value ", v[i], " at ", i, " does not fit int32");
        }
        p[i] = static_cast<int32_t>(v[i]);
      }
    } else {
      if (info.nbytes != t.size_bytes()) {
        return FormatError(where, ": holds ", info.nbytes, " bytes, expected ", t.size_bytes());
      }
      std::memcpy(t.mutable_data(), info.data, info.nbytes);
    }
    out.emplace(info.name, std::move(t));
  }
  return out;
}

Status WriteTensors(const std::filesystem::path& path, const std::map<std::string, Tensor>& tensors) {
  hf::SafetensorsWriter w;
  for (const auto& [name, t] : tensors) {
    const mil::DType dt = t.dtype();
    if (dt == mil::DType::kFp16 || dt == mil::DType::kFp32) {
      const std::vector<float> v = t.ToFloats();
      ANEMLL_RETURN_IF_ERROR(w.AddF32(name, t.shape(), v));
    } else if (dt == mil::DType::kBool) {
      ANEMLL_RETURN_IF_ERROR(w.Add(name, hf::DType::kBool, t.shape(),
                                   std::string(reinterpret_cast<const char*>(t.data()), t.size_bytes())));
    } else {
      const std::vector<int32_t> v = t.ToInts();
      ANEMLL_RETURN_IF_ERROR(w.AddI32(name, t.shape(), v));
    }
  }
  return w.Write(path);
}

}  // namespace anemll::runtime
