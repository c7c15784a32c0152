// SPDX-License-Identifier: MIT
// All of libalpcu.
#pragma once

#include "alpcu/batch.hpp"
#include "alpcu/completion.hpp"
#include "alpcu/connection.hpp"
#include "alpcu/datagrams.hpp"
#include "alpcu/device.hpp"
#include "alpcu/error.hpp"
#include "alpcu/fd.hpp"
#include "alpcu/message.hpp"
#include "alpcu/port.hpp"
#include "alpcu/result.hpp"
#include "alpcu/section.hpp"
#include "alpcu/security.hpp"
#include "alpcu/timeout.hpp"
