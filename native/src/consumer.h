#pragma once
#include <napi.h>
namespace tsn {
Napi::Function DefineBatchConsumer(Napi::Env env);
Napi::Function DefineBatchProducer(Napi::Env env);
}  // namespace tsn
